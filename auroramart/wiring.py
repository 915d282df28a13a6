"""Which app reacts to which event, and who answers which extension point: the whole map in
one place (core/events.py has the rules). Loaded once at start-up through the EVENT_WIRING
setting; like the URLconf, it sits above every app. Subscribers run in the order listed."""

from auroramart.core.events import keywords, subscribe


def connect() -> None:
    from auroramart.accounts.events import (
        CustomerErasing,
        CustomerRegistered,
        CustomerSignedIn,
        ProfileUpdated,
    )
    from auroramart.analytics import rollups
    from auroramart.analytics import tracking as analytics_tracking
    from auroramart.campaigns import abandoned_carts
    from auroramart.campaigns import services as campaigns
    from auroramart.cart import fragments as cart_fragments
    from auroramart.cart import selectors as cart_selectors
    from auroramart.cart import services as cart
    from auroramart.cart.events import CartItemAdded
    from auroramart.catalog import cache as catalog_cache
    from auroramart.catalog import services as catalog
    from auroramart.catalog.events import CategoryDeleted, CategoryRenamed, ProductCreated, ReviewApproved
    from auroramart.core import health
    from auroramart.inventory import services as inventory
    from auroramart.loyalty import services as loyalty
    from auroramart.loyalty import views as loyalty_views
    from auroramart.orders import fragments as order_fragments
    from auroramart.orders import services as orders
    from auroramart.orders.events import (
        GuestOrdersClaimed,
        OrderPaid,
        OrderPlaced,
        OrderReleased,
        OrderReversed,
    )
    from auroramart.payments.events import PaymentDisputed, PaymentFailed, PaymentSucceeded
    from auroramart.recommendations import registry as recommendation_models
    from auroramart.recommendations import services as recommendations
    from auroramart.recommendations import tracking as recommendation_tracking
    from auroramart.recommendations import views as recommendation_views
    from auroramart.shipping.events import ShippingChanged
    from auroramart.storefront import context_processors as storefront_context

    # --- events ------------------------------------------------------------------------
    subscribe(
        CustomerRegistered,
        keywords(loyalty.open_account),  # an account with the sign-up bonus
        keywords(recommendations.predict_for_new_customer),  # cold-start categories
    )
    subscribe(ProfileUpdated, keywords(recommendations.predict_for_new_customer))
    subscribe(CustomerSignedIn, keywords(cart.merge_session_cart))  # the guest's cart joins theirs
    subscribe(CustomerErasing, keywords(orders.anonymise_orders))
    subscribe(
        CartItemAdded,
        keywords(analytics_tracking.record_cart_addition),  # the funnel and product figures
        keywords(recommendation_tracking.attribute_add_to_cart),  # the slot it came from
    )
    subscribe(ProductCreated, keywords(inventory.receive_opening_stock))
    subscribe(ReviewApproved, keywords(loyalty.review_bonus))
    subscribe(CategoryRenamed, keywords(recommendations.relabel_category))  # labels of the category model
    subscribe(CategoryDeleted, keywords(recommendations.forget_category))
    subscribe(ShippingChanged, keywords(catalog_cache.bump_catalog_version))  # cached pages describe delivery
    subscribe(OrderPlaced, keywords(loyalty.spend_for_order))
    subscribe(OrderReleased, keywords(loyalty.release_for_order))
    subscribe(
        OrderPaid,
        keywords(loyalty.earn_for_order),
        keywords(campaigns.bonus_points_for_order),  # after the base points it multiplies
        keywords(abandoned_carts.credit_order),  # a reminder that brought the customer back
        keywords(recommendation_tracking.attribute_purchase),
    )
    subscribe(OrderReversed, keywords(loyalty.reverse_for_order))
    # The provider's webhooks settle what the shopper's browser may never come back to say.
    subscribe(PaymentSucceeded, keywords(orders.on_payment_succeeded))
    subscribe(PaymentFailed, keywords(orders.on_payment_failed))
    subscribe(PaymentDisputed, keywords(orders.on_payment_disputed))
    subscribe(
        GuestOrdersClaimed, keywords(loyalty.earn_for_claimed_orders)
    )  # points once the guest has an account

    # --- extension points (questions one app asks, others answer) ----------------------
    catalog.purchase_checks.provide(orders.bought)
    cart_selectors.pricing_choices.provide(loyalty.pricing_choice)
    rollups.marketing_sources.provide(campaigns.marketing_rows, abandoned_carts.marketing_rows)
    health.readiness_checks.provide(recommendation_models.check_models)  # "models" in /readyz

    # --- page fragments other apps add to a page ---------------------------------------
    catalog_cache.personal_state.provide(storefront_context.personal_state)  # a shopper's own parts
    cart_fragments.summary.provide(loyalty_views.cart_box)
    cart_fragments.below_cart.provide(recommendation_views.complete_the_set)
    order_fragments.detail.provide(loyalty_views.order_points)
