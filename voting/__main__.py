import sys

from voting.cli import main

sys.exit(main())
