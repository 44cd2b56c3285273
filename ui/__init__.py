"""seedqa's user interfaces: the command line and the Gradio web chat."""
