"""Looking inside a network, with no Qt: the backprop circuit (values and gradients on every
wire), per-layer training statistics from hooks, and feature maps. The app only displays
the plain numbers and strings these return."""
