FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY extractors ./extractors
COPY service ./service
COPY lexicons ./lexicons
COPY schema ./schema
RUN pip install --no-cache-dir .
ENV FISCAL_HOST=0.0.0.0 FISCAL_LEXICON_DIR=/app/lexicons
EXPOSE 8000
CMD ["fiscal-extract", "serve", "--host", "0.0.0.0", "--port", "8000"]
