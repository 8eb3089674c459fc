"""``python -m trustsim.cli``."""

from trustsim.cli import main

main()
