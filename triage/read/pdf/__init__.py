"""The PDF engine: words, layout, blocks, spacing, OCR and page-level provenance."""
