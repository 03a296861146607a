"""What reviewers and analysts read: the inbox queue, briefs, exports, trends, accounts."""
