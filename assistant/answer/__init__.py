"""Answer stage: grounded answers with citations checked against the cited spans."""
