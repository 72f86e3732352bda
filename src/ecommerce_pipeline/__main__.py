from ecommerce_pipeline.cli import app

app()
