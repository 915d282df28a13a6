"""Steps other parts of the shop add to placement and the workflow (until domain events
replace them): filled in those apps' ready(), called in list order."""

# Steps other parts of the shop add (the loyalty program), called with keyword arguments:
#   PLACEMENT_STEPS(order, summary, user)  inside the placement transaction (spend points)
#   RELEASE_STEPS(order)                    when a placement is undone (give points back)
#   PAID_STEPS(order)                       when the payment is confirmed (earn points)
#   REVERSAL_STEPS(order, fraction, reason) on cancellation, return or refund
PLACEMENT_STEPS: list = []
RELEASE_STEPS: list = []
PAID_STEPS: list = []
REVERSAL_STEPS: list = []
