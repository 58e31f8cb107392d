"""Benchmarks run by `make bench` (`python -m bench`): each row a figure and its ratio to a baseline
measured in the same run. See bench/harness.py for how to add one."""
