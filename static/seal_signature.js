// piaojue: a scrutineer confirms a count by signing its seal on their own tablet
// (docs/secret-ballot.md, "The signed seal"). The Ed25519 key is made here the first time,
// kept in this browser's storage for this deputy, and never sent: only the public key and
// the signature leave the tablet.
(function () {
  "use strict";
  var PREFIX = "piaojue.signing-key.";

  function toBase64(bytes) {
    var text = "";
    for (var i = 0; i < bytes.length; i++) { text += String.fromCharCode(bytes[i]); }
    return window.btoa(text);
  }
  function fromBase64(text) {
    var raw = window.atob(text), bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { bytes[i] = raw.charCodeAt(i); }
    return bytes;
  }
  function toHex(bytes) {
    var out = "";
    for (var i = 0; i < bytes.length; i++) { out += (bytes[i] < 16 ? "0" : "") + bytes[i].toString(16); }
    return out;
  }

  // This deputy's signing key on this tablet: the stored seed, or a new one stored now.
  function keyPairFor(signer) {
    var nacl = window.nacl, name = PREFIX + signer, seed = null;
    try {
      var kept = window.localStorage.getItem(name);
      if (kept) { seed = fromBase64(kept); }
      if (!seed || seed.length !== 32) {
        seed = nacl.randomBytes(32);
        window.localStorage.setItem(name, toBase64(seed));
      }
    } catch (e) {
      seed = seed || nacl.randomBytes(32);  // no storage: a key for this confirmation only
    }
    return nacl.sign.keyPair.fromSeed(seed);
  }

  window.piaojueSignSeal = function (signer, statement) {
    var nacl = window.nacl;
    if (!nacl || !window.TextEncoder) { throw new Error("signing unavailable"); }
    var keys = keyPairFor(signer);
    var signature = nacl.sign.detached(new TextEncoder().encode(statement), keys.secretKey);
    keys.secretKey.fill(0);
    return { publicKey: toHex(keys.publicKey), signature: toBase64(signature) };
  };

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-sign-seal") || event.defaultPrevented) { return; }
    var error = form.querySelector(".sign-error");
    try {
      var signed = window.piaojueSignSeal(form.getAttribute("data-signer"), form.elements.statement.value);
      form.elements.public_key.value = signed.publicKey;
      form.elements.signature.value = signed.signature;
    } catch (e) {
      event.preventDefault();
      form.dataset.sent = "";
      if (error) {
        error.hidden = false;
        error.textContent = "这台平板未能签名，确认没有送出。请刷新页面再试；仍不行时，请在纸质计票单上签字，由秘书处录入。";
      }
    }
  });
})();
