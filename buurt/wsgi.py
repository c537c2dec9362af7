"""The WSGI app for the hub's gunicorn workers: `buurt.wsgi:app`.

Building the app starts no scheduler. With deploy/gunicorn.conf.py each
worker tries to, once it has loaded the app; one wins the lock.
"""

from buurt import create_app, settle_for_serving

app = create_app()
settle_for_serving()
