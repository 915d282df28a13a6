from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo shop: a deterministic sample catalogue, customers, orders, traffic and
    campaigns built through the domain services (create_sample_data), the demo staff
    accounts (setup_admin) and the start-up banner. It sits above every domain app and
    nothing imports it; a production shop can leave it out."""

    name = "auroramart.demo"
    label = "demo"
    verbose_name = "Demo shop"
