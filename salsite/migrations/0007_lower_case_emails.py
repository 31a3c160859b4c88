from django.db import migrations
from django.db.models.functions import Lower, Trim


def lower_case_emails(apps, schema_editor):
    # Sign-in (django-allauth) looks accounts up by their email in lower case; emails were unique
    # whatever their case already, so none collide.
    User = apps.get_model("auth", "User")
    User.objects.exclude(email="").update(email=Lower(Trim("email")))


class Migration(migrations.Migration):
    dependencies = [
        ("salsite", "0006_holder_text"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(lower_case_emails, migrations.RunPython.noop)]
