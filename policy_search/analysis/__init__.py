"""Analysis, shared by every backend: how text becomes terms (jieba with the policy-term
dictionary, Simplified = Traditional, French elisions and accents, stemming) and the query
lexicon that spares a Chinese query jieba's dictionary."""
