"""The portal's own settings (tracs.settings, same environment variables), with the benchmark URLs added.

Only the URLconf changes, so the pages measured run exactly as in `make run`: same middleware, same
database (the embedded PostgreSQL unless DATABASE_URL is set), same static files storage.
"""

import tracs.settings as _portal

globals().update({name: value for name, value in vars(_portal).items() if name.isupper()})

ROOT_URLCONF = "bench.urls"
DEBUG = False
