// piaojue: a scrutineer confirms a count by signing its seal on their tablet
// (docs/secret-ballot.md, "The signed seal"). The Ed25519 key is made here for this one
// confirmation, used once and wiped: it is never sent and never stored, so a tablet handed to
// the next deputy, or read by whoever holds it later, has no key to sign a changed seal with.
// Only the public key (its fingerprint is printed on the tally sheet) and the signature leave.
(function () {
  "use strict";
  var PREFIX = "piaojue.signing-key.";  // where an earlier version kept seeds: removed on sight

  (function forgetKeptSeeds() {
    try {
      for (var i = window.localStorage.length - 1; i >= 0; i--) {
        var name = window.localStorage.key(i);
        if (name && name.indexOf(PREFIX) === 0) { window.localStorage.removeItem(name); }
      }
    } catch (e) { /* no storage: nothing kept either */ }
  })();

  function toBase64(bytes) {
    var text = "";
    for (var i = 0; i < bytes.length; i++) { text += String.fromCharCode(bytes[i]); }
    return window.btoa(text);
  }
  function toHex(bytes) {
    var out = "";
    for (var i = 0; i < bytes.length; i++) { out += (bytes[i] < 16 ? "0" : "") + bytes[i].toString(16); }
    return out;
  }

  window.piaojueSignSeal = function (statement) {
    var nacl = window.nacl;
    if (!nacl || !window.TextEncoder) { throw new Error("signing unavailable"); }
    var seed = nacl.randomBytes(32);
    var keys = nacl.sign.keyPair.fromSeed(seed);
    var signature = nacl.sign.detached(new TextEncoder().encode(statement), keys.secretKey);
    seed.fill(0);
    keys.secretKey.fill(0);
    return { publicKey: toHex(keys.publicKey), signature: toBase64(signature) };
  };

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-sign-seal") || event.defaultPrevented) { return; }
    var error = form.querySelector(".sign-error");
    try {
      var signed = window.piaojueSignSeal(form.elements.statement.value);
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
