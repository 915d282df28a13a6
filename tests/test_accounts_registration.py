import pytest
from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from auroramart.accounts.models import CustomerProfile, User

pytestmark = pytest.mark.django_db

GOOD = {
    "email": "Ana.Tan@Example.test",
    "first_name": "Ana",
    "last_name": "Tan",
    "password1": "violet-harbour-lantern-42",
    "password2": "violet-harbour-lantern-42",
    "age": "31",
    "gender": "Female",
    "employment_status": "Full-time",
    "occupation": "Tech",
    "education": "Bachelor",
    "household_size": "2",
    "has_children": "0",
    "monthly_income_sgd": "6400.50",
    "marketing_opt_in": "on",
}


def test_registration_creates_customer_profile_and_signs_in(client, production_hashers):
    response = client.post("/register/", GOOD, follow=True)
    assert response.status_code == 200
    assert "Welcome to AuroraMart, Ana!" in response.content.decode()
    user = User.objects.get()
    assert user.email == "ana.tan@example.test"  # stored lower-case, the login is case-insensitive
    assert not user.is_staff
    assert user.password.startswith("argon2")
    profile = user.profile
    assert (profile.age, profile.gender, profile.occupation, profile.household_size) == (
        31,
        "Female",
        "Tech",
        2,
    )
    assert str(profile.monthly_income_sgd) == "6400.50" and profile.has_children is False
    assert profile.marketing_opt_in is True
    assert not profile.avatar  # the default avatar is shown
    assert int(client.session[SESSION_KEY]) == user.pk


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("email", "not-an-email", "Enter a valid email address."),
        ("email", "", "This field is required."),
        ("first_name", "", "This field is required."),
        ("age", "17", "You must be at least 18"),
        ("age", "101", "Enter an age of 100 or below."),
        ("age", "thirty", "Enter your age as a whole number."),
        ("gender", "Robot", "Select a valid choice."),
        ("employment_status", "Astronaut", "Select a valid choice."),
        ("occupation", "Pirate", "Select a valid choice."),
        ("education", "PhD", "Select a valid choice."),
        ("household_size", "0", "A household has at least 1 person."),
        ("household_size", "11", "10 or fewer"),
        ("household_size", "2.5", "Enter the number of people as a whole number."),
        ("has_children", "maybe", "Select a valid choice."),
        ("has_children", "", "This field is required."),
        ("monthly_income_sgd", "-1", "Income cannot be negative."),
        ("monthly_income_sgd", "lots", "Enter an amount in dollars"),
        ("password2", "something-else-entirely", "The two passwords do not match."),
    ],
)
def test_each_bad_field_gets_its_own_message_and_nothing_is_created(client, field, value, message):
    response = client.post("/register/", {**GOOD, field: value})
    assert response.status_code == 200
    form = response.context["form"]
    assert field in form.errors
    assert message in " ".join(form.errors[field])
    assert message.split("’")[0] in response.content.decode().replace("&#x27;", "'")
    assert User.objects.count() == 0 and CustomerProfile.objects.count() == 0


@pytest.mark.parametrize(
    "password,message",
    [
        ("short-pw-1", "at least 12 characters"),
        ("123456789012345", "entirely numeric"),
        ("password1234", "too common"),
        ("ana.tan@example", "too similar"),
    ],
)
def test_weak_passwords_are_refused(client, password, message):
    response = client.post("/register/", {**GOOD, "password1": password, "password2": password})
    assert message in " ".join(response.context["form"].errors["password1"])
    assert User.objects.count() == 0


def test_email_already_registered_is_a_clear_error(client):
    client.post("/register/", GOOD)
    client.post(reverse("accounts:logout"))
    response = client.post("/register/", {**GOOD, "email": "ANA.TAN@example.test"})
    assert "An account with this email address already exists." in response.content.decode()
    assert User.objects.count() == 1


def test_registration_subscribers_run_in_the_same_transaction(client, monkeypatch):
    from auroramart.accounts.events import CustomerRegistered
    from auroramart.core import events

    def failing_step(event):
        raise RuntimeError("loyalty service exploded")

    monkeypatch.setitem(events._subscribers, CustomerRegistered, [failing_step])
    client.raise_request_exception = False
    response = client.post("/register/", GOOD)
    assert response.status_code == 500
    assert User.objects.count() == 0 and CustomerProfile.objects.count() == 0  # nothing half-written
