"""Analysis: passages, entities, risk-factor classification and flags."""
