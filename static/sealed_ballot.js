// piaojue: the tablet seals the marks to the poll's public key before anything is sent
// (docs/secret-ballot.md). The server never receives a tablet ballot in plain text.
(function () {
  "use strict";
  var FORMAT = "piaojue-sealed-ballot/1";

  function fromHex(hex) {
    var bytes = new Uint8Array(hex.length / 2);
    for (var i = 0; i < bytes.length; i++) { bytes[i] = parseInt(hex.substr(2 * i, 2), 16); }
    return bytes;
  }
  function toBase64(bytes) {
    var text = "";
    for (var i = 0; i < bytes.length; i++) { text += String.fromCharCode(bytes[i]); }
    return window.btoa(text);
  }
  function canonical(pollRef, marks) {
    var sorted = {};
    Object.keys(marks).sort().forEach(function (ref) { sorted[ref] = marks[ref]; });
    return JSON.stringify({ format: FORMAT, marks: sorted, poll: pollRef });
  }

  // base64(ephemeral public key ‖ nonce ‖ crypto_box(padded canonical JSON)).
  window.piaojueSeal = function (publicKeyHex, pollRef, marks, paddedLength) {
    var nacl = window.nacl;
    if (!nacl || !window.TextEncoder || !publicKeyHex) { throw new Error("sealing unavailable"); }
    var text = new TextEncoder().encode(canonical(pollRef, marks));
    if (text.length > paddedLength) { throw new Error("ballot longer than its padding"); }
    var padded = new Uint8Array(paddedLength).fill(0x20);
    padded.set(text);
    var ephemeral = nacl.box.keyPair();
    var nonce = nacl.randomBytes(nacl.box.nonceLength);
    var box = nacl.box(padded, nonce, fromHex(publicKeyHex), ephemeral.secretKey);
    var out = new Uint8Array(ephemeral.publicKey.length + nonce.length + box.length);
    out.set(ephemeral.publicKey, 0);
    out.set(nonce, ephemeral.publicKey.length);
    out.set(box, ephemeral.publicKey.length + nonce.length);
    ephemeral.secretKey.fill(0);
    padded.fill(0);
    return toBase64(out);
  };

  // Let the browser compile TweetNaCl while the deputy reads the ballot: a fresh page's first
  // seal otherwise runs cold (bench seal-in-chromium: 50–150 ms at 4× CPU throttling, 15–25 ms
  // warmed). A throwaway box to a throwaway key: nothing of the ballot is involved.
  window.addEventListener("load", function () {
    var later = window.requestIdleCallback || function (f) { return window.setTimeout(f, 200); };
    later(function () {
      var nacl = window.nacl;
      if (!nacl) { return; }
      try {
        var pair = nacl.box.keyPair();
        nacl.box(new Uint8Array(64), nacl.randomBytes(nacl.box.nonceLength), pair.publicKey, pair.secretKey);
        pair.secretKey.fill(0);
      } catch (e) { /* sealing reports its own failure when the deputy confirms */ }
    });
  });
})();
