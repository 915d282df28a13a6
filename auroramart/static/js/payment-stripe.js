// Stripe's card step: Stripe.js (loaded from js.stripe.com, as PCI requires) draws the card
// field in a frame of Stripe's and turns the card into a PaymentMethod; the checkout form posts
// only its id. 3-D Secure is a redirect the server's PaymentIntent asks for (orders/placement.py).
(function () {
  "use strict";
  var form = document.getElementById("checkout-form");
  var box = document.getElementById("payment");
  if (!form || !box || typeof Stripe === "undefined") return;
  var hidden = form.querySelector("[name=payment_method]");
  var errors = document.getElementById("card-errors");
  var newCard = document.getElementById("new-card");
  var stripe = Stripe(box.dataset.publishableKey);
  var card = stripe.elements().create("card", {hidePostalCode: true});
  card.mount("#card-element");
  card.on("change", function (event) {
    hidden.value = "";
    errors.textContent = event.error ? event.error.message : "";
  });
  function choice() {
    var checked = form.querySelector("input[name=card]:checked") || form.querySelector("input[name=card]");
    return checked ? checked.value : "new";
  }
  form.querySelectorAll("input[name=card]").forEach(function (radio) {
    radio.addEventListener("change", function () { newCard.style.display = choice() === "new" ? "" : "none"; });
  });
  newCard.style.display = choice() === "new" ? "" : "none";
  var busy = false;
  form.addEventListener("submit", function (event) {
    if (choice() !== "new" || hidden.value) return;
    event.preventDefault();
    if (busy) return;
    busy = true;
    stripe.createPaymentMethod({type: "card", card: card}).then(function (result) {
      if (result.error) {
        busy = false;
        errors.textContent = result.error.message;
        return;
      }
      hidden.value = result.paymentMethod.id;
      form.submit();
    });
  });
})();
