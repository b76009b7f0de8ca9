"""One limiter for every limit: request rates per client address and per learner, and quiz attempts."""
