# Gibbon's report figures, redrawn with matplotlib and pandas from the data saved next to the report
# (DATA_DIR) or, once the live-catalog cell has opened one, from the result tables themselves.
import json
import os

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.container import BarContainer

# Matplotlib's "tab10", as the saved PNGs use: one attack keeps its colour in every figure.
PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
           "#17becf"]
RUN_STYLES = ["-", "--", ":", "-."]
NORM_NAMES = {"linf": "L∞", "l2": "L2"}
spark = None


def load(name, query=None):
    """The data behind a figure or table: its saved file, or its query when the live catalog is open."""
    if spark is not None and query is not None:
        for made, wanted in zip(REPORT_RUN_IDS, RUN_IDS):
            query = query.replace(f"'{made}'", f"'{wanted}'")
        return spark.sql(query).toPandas()
    if list(RUN_IDS) != list(REPORT_RUN_IDS):
        raise ValueError(f"the saved data is of runs {REPORT_RUN_IDS}; set GIBBON_WAREHOUSE to read runs {RUN_IDS}")
    path = os.path.join(DATA_DIR, name)
    if name.endswith(".json"):
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    # round_trip: pandas' default parser may miss a double's last bit.
    return pd.read_csv(path, float_precision="round_trip")


def sql(query, name):
    """A table of the report: the query over the live catalog, or the result saved when the report was made."""
    return load(name, query)


def budget(epsilon):
    return f"{epsilon:.4f}".rstrip("0").rstrip(".") if epsilon else "0"


def _record(name, fig, **extra):
    """Writes what a figure shows to $GIBBON_FIGURE_DATA/<name>.json, to check it against the tables."""
    folder = os.environ.get("GIBBON_FIGURE_DATA")
    if not folder:
        return
    axes = []
    for ax in fig.axes:
        axes.append({
            "title": ax.get_title(),
            "lines": [{"label": line.get_label(), "x": [float(v) for v in line.get_xdata()],
                       "y": [float(v) for v in line.get_ydata()]} for line in ax.get_lines()],
            "bars": [{"label": c.get_label(), "values": [float(p.get_width()) for p in c.patches]}
                     for c in ax.containers if isinstance(c, BarContainer)],
            "yticklabels": [t.get_text() for t in ax.get_yticklabels()],
            "images": [np.asarray(im.get_array(), dtype=float).tolist() for im in ax.get_images()],
        })
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name + ".json"), "w", encoding="utf-8") as f:
        json.dump({"axes": axes, **extra}, f)


def _budget_axes(ax, budgets, x_label, y_label, title):
    """An accuracy axis over ε budgets: symlog, linear up to the smallest positive budget, ticks at the budgets."""
    smallest = min([e for e in budgets if e > 0], default=1.0)
    ax.set_xscale("symlog", linthresh=smallest)
    ax.set_xlim(0, max(budgets[-1], smallest))
    ax.set_xticks(budgets, [budget(e) for e in budgets])
    ax.minorticks_off()
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(f"{x_label}, inputs in [0, 1]; log scale above {budget(smallest)})")
    ax.set_ylabel(y_label)
    ax.set_title(title)
    ax.grid(color="#dddddd")
    ax.legend(fontsize=8)


def draw_robustness_curve(data, name="robustness_curve"):
    """Robust accuracy against ε per attack, with its Wilson band; one panel per norm, ε on a symlog axis."""
    present = list(dict.fromkeys(data["norm"]))
    norms = [n for n in ("linf", "l2") if n in present] + sorted(n for n in present if n not in ("linf", "l2"))
    runs = list(dict.fromkeys(data["run_id"]))
    attacks = sorted(set(data["attack"]))
    fig, axes = plt.subplots(1, len(norms), figsize=(6.4 * len(norms), 4.6), squeeze=False)
    for ax, norm in zip(axes[0], norms):
        panel = data[data["norm"] == norm]
        budgets = sorted(set(panel["epsilon"]))
        for r, run in enumerate(runs):
            own = panel[panel["run_id"] == run]
            for attack in attacks:
                curve = own[own["attack"] == attack].sort_values("epsilon")
                if curve.empty:
                    continue
                colour = PALETTE[attacks.index(attack) % len(PALETTE)]
                ax.fill_between(curve["epsilon"], curve["ci_low"], curve["ci_high"], color=colour, alpha=0.3, linewidth=0)
                ax.plot(curve["epsilon"], curve["robust_accuracy"], color=colour, linestyle=RUN_STYLES[r % 4], marker="o",
                        markersize=3, label=attack if len(runs) == 1 else f"run_{r + 1}: {attack}")
            if not own.empty:
                clean = float(own["clean_accuracy"].iloc[0])
                ax.axhline(clean, color="dimgray", linestyle="--", linewidth=1, label="_clean")
                ax.annotate(f"clean accuracy{'' if len(runs) == 1 else f' (run_{r + 1})'} {clean:.3f}", (1, clean),
                            xycoords=("axes fraction", "data"), ha="right", va="bottom", fontsize=8)
        _budget_axes(ax, budgets, f"ε ({NORM_NAMES.get(norm, norm)} budget", "robust accuracy",
                     f"{NORM_NAMES.get(norm, norm)} attacks: robust accuracy vs ε (95 % Wilson band)")
    fig.tight_layout()
    _record(name, fig)
    plt.show()


def draw_class_robustness(data, name="class_robustness"):
    """Accuracy per true class, clean beside each attack at its budget; most fragile classes on top."""
    attacks = sorted(set(data["attack"]))
    classes = (data.groupby("class_name")["robust_accuracy"].mean().reset_index()
               .sort_values(["robust_accuracy", "class_name"])["class_name"].tolist())
    clean = data.groupby("class_name")["clean_accuracy"].first()
    series = [("clean", "#b0b0b0", [float(clean[c]) for c in classes])]
    for attack in attacks:
        rows = data[data["attack"] == attack]
        by_class = dict(zip(rows["class_name"], rows["robust_accuracy"]))
        series.append((f"{attack} @ ε {budget(float(rows['epsilon'].iloc[0]))}", PALETTE[attacks.index(attack) % 10],
                       [float(by_class.get(c, np.nan)) for c in classes]))
    budgets = data.drop_duplicates("norm").sort_values("norm", key=lambda n: n != "linf")
    title = " and ".join(f"ε = {budget(e)} ({NORM_NAMES.get(n, n)})" for n, e in zip(budgets["norm"], budgets["epsilon"]))
    height = 0.8 / len(series)
    fig, ax = plt.subplots(figsize=(9, max(3.6, 1.1 + len(classes) * (0.12 + 0.12 * len(series)))))
    for k, (label, colour, values) in enumerate(series):
        y = np.arange(len(classes)) + (k - (len(series) - 1) / 2) * height
        bars = ax.barh(y, values, height=height * 0.95, color=colour, label=label)
        ax.bar_label(bars, labels=["" if np.isnan(v) else f"{v:.2f}" for v in values], padding=3, fontsize=7)
        # A bar at 0 draws nothing, as a missing one: a tick marks the zeros.
        zeros = [yy for yy, v in zip(y, values) if v == 0]
        ax.plot([0] * len(zeros), zeros, linestyle="none", marker="D", markersize=4, color=colour, clip_on=False,
                label="_zero")
    ax.set_yticks(np.arange(len(classes)), classes)
    ax.invert_yaxis()
    ax.set_xlim(0, 1.08)
    ax.set_xlabel("accuracy")
    ax.set_ylabel("class")
    ax.set_title("Accuracy per class at " + title)
    ax.grid(axis="x", color="#dddddd")
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=min(len(series), 5))
    fig.tight_layout()
    _record(name, fig)
    plt.show()


def draw_certified_bracket(data, name="certified_bracket"):
    """Certified accuracy per σ against the L2 radius (solid) over the L2 attacks' accuracy against ε (dashed)."""
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    budgets = sorted(set(data["epsilon"]))
    for k, (kind, curve) in enumerate(data[["kind", "curve"]].drop_duplicates().itertuples(index=False)):
        rows = data[(data["kind"] == kind) & (data["curve"] == curve)].sort_values("epsilon")
        colour = PALETTE[k % len(PALETTE)]
        ax.fill_between(rows["epsilon"], rows["ci_low"], rows["ci_high"], color=colour, alpha=0.3, linewidth=0)
        ax.plot(rows["epsilon"], rows["accuracy"], color=colour, linestyle="-" if kind == "certified" else "--",
                marker="o", markersize=3, label=f"certified, σ = {curve}" if kind == "certified" else str(curve))
    _budget_axes(ax, budgets, "L2 radius = ε (L2 budget", "accuracy", "Certified (solid) and attacked (dashed) accuracy, L2 budgets")
    fig.tight_layout()
    _record(name, fig)
    plt.show()


def _image(values, shape):
    chw = np.asarray(values, dtype=np.float32).reshape(shape)
    return chw[0] if shape[0] == 1 else chw.transpose(1, 2, 0)


def draw_example_grid(grid, name):
    """Original | perturbation (one gain for the whole grid) | adversarial, one row per example."""
    rows = grid["rows"]
    shape = grid["shape"]
    deltas = [np.asarray(r["adversarial"], dtype=np.float32) - np.asarray(r["original"], dtype=np.float32) for r in rows]
    largest = max(float(np.abs(d).max()) for d in deltas)
    gain = 0.5 / largest if largest > 0 else 0.0
    fooled = sum(1 for r in rows if r["fooled"])
    fig, axes = plt.subplots(len(rows), 3, figsize=(6.6, 2.45 * len(rows) + 0.8), squeeze=False)
    fig.suptitle(f"{grid['title']}\n{fooled} of {len(rows)} fooled (red frame); perturbation ×{gain:.1f} in every row")
    grey = "gray" if shape[0] == 1 else None
    for r, delta, ax_row in zip(rows, deltas, axes):
        tiles = [r["original"], 0.5 + delta * gain, r["adversarial"]]
        for ax, tile in zip(ax_row, tiles):
            ax.imshow(np.clip(_image(tile, shape), 0, 1), cmap=grey, vmin=0, vmax=1, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
        ax_row[0].set_xlabel(f"{r['clean_predicted']} {100 * r['clean_confidence']:.1f} %\n#{r['example_id']},"
                             f" true: {r['true_class']}", fontsize=8)
        ax_row[1].set_xlabel(f"L∞ {float(np.abs(delta).max()):.3f}\nL2 {float(np.sqrt((delta ** 2).sum())):.3f}",
                             fontsize=8)
        verdict = "fooled" if r["fooled"] else "still right"
        ax_row[2].set_xlabel(f"{r['predicted']} {100 * r['confidence']:.1f} %\n{verdict}", fontsize=8,
                             color="#d62728" if r["fooled"] else "black")
        if r["fooled"]:
            for spine in ax_row[2].spines.values():
                spine.set_edgecolor("#d62728")
                spine.set_linewidth(3)
    for ax, title in zip(axes[0], ("original", "perturbation (amplified)", "adversarial")):
        ax.set_title(title, fontsize=9)
    fig.tight_layout()
    _record(name, fig, title=grid["title"], example_ids=[r["example_id"] for r in rows], gain=gain)
    plt.show()
