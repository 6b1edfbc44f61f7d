"""平板证书: how a tablet comes to trust the hall's server (voting.tls, voting.hall_server).

/trust is the page a tablet opens first, over plain HTTP (the QR code on the console's copy of
this page points at it): what to download and how to install it on Android and on an iPad,
with the fingerprint to compare. /trust/ca.crt is the hall's authority certificate (public,
never the key). Both are served over HTTPS too, where the page also says whether this
connection is already trusted.
"""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.response import Response, Template

from config import settings
from reports.login_cards import scalable_qr_svg
from voting import hall_server, tls
from web.pages import page

CA_TYPE = "application/x-x509-ca-cert"


class TrustController(Controller):
    path = "/trust"

    @get("/", include_in_schema=False)
    async def trust_page(self, request: Request) -> Template:
        found = tls.status(hall_server.tls_directory())
        plain = ""
        if found:
            # The address a tablet reaches before it trusts anything: the HTTP side of the hall server.
            host = (found["addresses"] or found["names"] or [request.url.hostname])[0]
            port = request.url.port if request.url.scheme == "http" else hall_server.plain_port()
            plain = f"http://{host}:{port}/trust"
        return page("public/trust.html", request, found=found, plain=plain,
                    qr=scalable_qr_svg(plain + "/ca.crt") if plain else "", https=request.url.scheme == "https",
                    public_url=settings().public_url)

    @get("/ca.crt", include_in_schema=False)
    async def authority(self) -> Response[bytes]:
        path = hall_server.tls_directory() / "ca.crt"
        if not path.exists():
            return Response("本服务器没有会场证书：请用 make hall 启动会场服务。".encode(), status_code=404,
                            media_type="text/plain; charset=utf-8")
        return Response(path.read_bytes(), media_type=CA_TYPE,
                        headers={"Content-Disposition": 'attachment; filename="piaojue-hall-ca.crt"'})
