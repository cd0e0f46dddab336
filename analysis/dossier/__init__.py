"""Everything the suite can say about one activation, known or new: its series, shape,
gains and mean-field picture (:mod:`.theory`), Monte Carlo on a deep torch stack and a
trainability run (:mod:`.experiments`). It uses the same functions as the claims."""
