# fiscal-extract: the API, a Celery worker or a crawler, by the command it is started with
# (compose.yaml runs all three). The system tools the extractor uses come from Debian: Tesseract with
# simplified Chinese (scanned PDFs), LibreOffice writer (legacy .doc), the CJK font (rendering),
# Chromium (the crawler renders listings that portals build in the browser).
FROM python:3.11-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      tesseract-ocr tesseract-ocr-chi-sim libreoffice-writer-nogui fonts-wqy-microhei chromium \
 && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 10001 fiscal && mkdir /data && chown fiscal /data
WORKDIR /app
COPY pyproject.toml README.md ./
COPY extractors ./extractors
COPY service ./service
COPY crawler ./crawler
COPY lexicons ./lexicons
COPY schema ./schema
# installed in place: the lexicons and the contract's JSON schema are read beside the packages
RUN pip install --no-cache-dir -e . && python -c "from extractors import warm_up; warm_up()"
USER fiscal
ENV FISCAL_HOST=0.0.0.0 \
    FISCAL_DATABASE_URL=sqlite:////data/fiscal.db \
    FISCAL_LOG_JSON=true \
    HOME=/home/fiscal
VOLUME /data
EXPOSE 8000
# the API's readiness (lexicons loaded, store taking writes); compose gives workers a check of their own
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD python -c "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=4).status != 200)"
CMD ["fiscal-extract", "serve", "--host", "0.0.0.0", "--port", "8000"]
