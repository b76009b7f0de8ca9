"""The learner layer: the one place that owns "a learner changes" across domains.

It locks the learner row, lets the domains below change their own rows, moves the statistics by the
learner's contribution after minus before, and erases by asking each domain to forget its own rows.
Domain cores below it (catalogue < certificates < quizzes < progress < stats) never import it.
"""
