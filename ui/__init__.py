"""The dashboard's shared pieces: chart builders (pure Altair), captions (pure text), and Streamlit helpers."""
