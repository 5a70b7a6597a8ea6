# Self-host a workshop: docker build -t rnn-gradient-lab . && docker run -p 8501:8501 rnn-gradient-lab
# (Not built in this project's CI: its machines have no Docker engine.)
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY dashboard.py ./
COPY pages ./pages
COPY ui ./ui
COPY rnn_core ./rnn_core
COPY .streamlit ./.streamlit

# The app writes nothing to its folder at run time; run it as an unprivileged user.
RUN useradd --create-home lab
USER lab
EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request as u; u.urlopen('http://127.0.0.1:8501/_stcore/health')"
CMD ["streamlit", "run", "dashboard.py", "--server.address=0.0.0.0", "--server.port=8501", "--server.headless=true"]
