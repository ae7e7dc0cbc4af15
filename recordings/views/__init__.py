"""The recordings app's pages: the console library, the webinar panel, watching."""
