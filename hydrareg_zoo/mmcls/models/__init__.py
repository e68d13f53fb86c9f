"""(filled in by the demo libraries work)"""
