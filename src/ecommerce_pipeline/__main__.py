from ecommerce_pipeline.cli import entry

entry()
