"""Training in the app: the dock with Data, Settings, Run and Evaluation tabs, and its worker."""
