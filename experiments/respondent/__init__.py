"""The panel member's side: the questionnaire pages, the sitting they read, and their stack.

Every member's every page passes through here, so it is kept lean and readable in one place:
`urls` (the pages a member reaches), `views` (the pages), `sittings` (the one statement that
reads who is answering and where they are) and `stack` (the short middleware stack and URL
list these pages run on). Pages kept once per process live in `experiments.questionnaires`.
"""
