"""Operations tools, outside the importable package: the processes of `make run`
(supervise), the production profile on one machine (topology, `make run-prod`) and the
throwaway PostgreSQL clusters (postgres). Run from the repository's root.
"""
