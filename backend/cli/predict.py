"""`netcanvas predict FILE --weights W INPUT...`: the top classes of a trained model for image
files or CSV rows (backend/insight/predict.py). A model with several Input nodes takes
`NAME=FILE` for each Input instead; their samples pair up in order."""

from __future__ import annotations

import argparse

from netcanvas.backend.cli.common import fail, trained_model_command


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = trained_model_command(
        subparsers, "predict", help="classify image files or CSV rows with trained weights",
        description="Load the project's network with trained weights and print the most "
        "probable classes for each input. Image files are converted, resized and scaled to "
        "[0, 1] as the dataset pipeline does; each CSV row holds one sample's raw values "
        "(a target column, if present, is ignored). The data's normalisation is applied. A "
        "model with several Input nodes takes NAME=FILE for each Input (a padding mask as "
        "0/1 rows); the n-th samples of the files make sample n.")
    p.add_argument("inputs", nargs="+", metavar="INPUT",
                   help="image files or .csv files; NAME=FILE for each Input of a model with "
                   "several")
    p.add_argument("--top", type=int, default=3, metavar="K",
                   help="how many classes to print per input (default 3)")
    return p


def run(args: argparse.Namespace) -> int:
    from netcanvas.backend.insight.predict import (
        PredictError,
        from_file,
        read_inputs,
        read_named_inputs,
        top_classes,
    )

    if args.top < 1:
        return fail("predict", f"--top must be at least 1, got {args.top}", 2)
    try:
        predictor = from_file(args.file, args.weights, several=True)
        if len(predictor.input_names) > 1:
            x, names = read_named_inputs(predictor, args.inputs)
        else:
            x, names = read_inputs(predictor, args.inputs)
        if not predictor.classifies:
            for name, value in zip(names, predictor.outputs(x).reshape(len(x), -1).tolist()):
                print(f"{name}: " + ", ".join(f"{v:.4g}" for v in value))
            return 0
        probs = predictor.probabilities(x)
    except PredictError as exc:
        return fail("predict", str(exc), 2)
    width = max(map(len, names))
    for name, row in zip(names, probs):
        ranked = top_classes(row, predictor.class_names, args.top)
        print(f"{name:<{width}}  " + "  ".join(f"{c} {p:6.1%}" for c, p in ranked))
    return 0
