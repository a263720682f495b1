# A stand-in for the python:3.11-slim image, built from Debian bookworm (whose Python is 3.11):
# the registry that serves the real one is out of reach here. Tests only.
FROM howsmytrack-test/bookworm:minbase
COPY ca-certificates/ /usr/local/share/ca-certificates/
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 python3-pip python3-venv ca-certificates \
    && update-ca-certificates \
    && rm -rf /var/lib/apt/lists/* /usr/lib/python3.11/EXTERNALLY-MANAGED \
    && ln -s /usr/bin/python3 /usr/local/bin/python \
    && { [ -e /usr/bin/pip ] || ln -s /usr/bin/pip3 /usr/local/bin/pip; }
ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt \
    REQUESTS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
