"""The waitlist: a line for a full webinar (or session), one operation a module.

line.py says where people stand; join.py puts them in line and takes them out;
offers.py offers each freed seat to the next in line (under the capacity
lock) and expires offers not taken; cancelled.py closes the line of a
cancelled webinar (or session); claim.py turns an offer's seat into the
registration that accepts it; accept.py runs that registration; organizer.py
holds the console's operations.
"""
