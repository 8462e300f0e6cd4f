from __future__ import annotations

import getpass
import os

from django.core.management.base import BaseCommand, CommandError

from accounts.services import proctor_create


class Command(BaseCommand):
    help = "Create or update a proctor (staff, Proctors group). --admin makes an admin."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("email")
        parser.add_argument("--admin", action="store_true", help="Also a superuser.")
        parser.add_argument(
            "--password-env",
            default="PROCTOR_PASSWORD",
            help="Read the password from this environment variable (default PROCTOR_PASSWORD); "
            "asked for interactively when unset.",
        )

    def handle(self, *args, **options) -> None:
        password = os.environ.get(options["password_env"])
        if not password:
            if not os.isatty(0):
                raise CommandError(f"Set {options['password_env']} or run interactively.")
            password = getpass.getpass("Password: ")
        if len(password) < 8:
            raise CommandError("The password must have at least 8 characters.")
        user = proctor_create(
            username=options["username"],
            email=options["email"],
            password=password,
            admin=options["admin"],
        )
        self.stdout.write(f"{user.role} {user.username} ready (id {user.pk}).")
