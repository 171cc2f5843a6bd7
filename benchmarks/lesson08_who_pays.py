"""Lesson 08 preview: the who-pays table on the new baseline (no sex or race inputs), post-processing fitted on a validation split.

    PYTHONPATH=. .venv/bin/python benchmarks/lesson08_who_pays.py

Prints the cell targets, the post-processing rules, the trade-off table and each group's
selection rate, TPR and FPR (test split) for the methods the rewritten lesson 08 uses.
"""
import sys, time
import numpy as np, pandas as pd
from imblearn.over_sampling import SMOTENC
from ppml_lessons.data import load_adult
from ppml_lessons.data.features import *
from ppml_lessons.data.features import adult_validation_split, adult_feature_columns
from ppml_lessons.fairness.mitigation import *
from ppml_lessons.fairness.tradeoff import tradeoff_table
from ppml_lessons.fairness.metrics import GroupReport
tr, te = load_adult(); y_test = te[ADULT_TARGET].to_numpy()
fit_df, val = adult_validation_split(tr)
yf, yv = fit_df[ADULT_TARGET].to_numpy(), val[ADULT_TARGET].to_numpy()
F = FAIRNESS_FEATURES
base = adult_logistic_regression(features=F).fit(fit_df, yf)
sv, st = base.predict_proba(val)[:,1], base.predict_proba(te)[:,1]
dec = {"baseline": (st>=0.5).astype(int)}
dec["with sex, race"] = adult_logistic_regression(features="personal").fit(fit_df, yf).predict(te)
w = reweighing_weights(yf, sensitive_features=fit_df.sex)
rw = adult_logistic_regression(features=F).fit(fit_df, yf, logisticregression__sample_weight=w); dec["reweighing"]=rw.predict(te)
targets = parity_cell_targets(yf, sensitive_features=fit_df.sex); print(targets)
wanted = {(r.group, r.label): r.target for r in targets.itertuples() if r.added > 0}
rows = oversample_indices(list(zip(fit_df.sex, yf)), wanted, rng=0)
ov = fit_df.iloc[rows]; dec["oversampling"] = adult_logistic_regression(features=F).fit(ov, ov[ADULT_TARGET]).predict(te)
# SMOTENC quick test on one group
t=time.time()
num, cat = adult_feature_columns(features=F)
X = fit_df[num+cat].copy()
for c in cat: X[c] = X[c].cat.add_categories("(missing)").fillna("(missing)")
mu, sd = X[num].mean(), X[num].std()
X[num] = (X[num]-mu)/sd
outs=[X]; ys=[yf]; gs=[fit_df.sex.to_numpy()]
for g in ["Female","Male"]:
    mem = (fit_df.sex==g).to_numpy()
    r = targets[targets.group==g].set_index("label")["target"]
    lab = [l for l in (0,1) if r[l] > ((yf[mem]==l).sum())][0]
    sm = SMOTENC(categorical_features=cat, sampling_strategy={lab:int(r[lab])}, random_state=0)
    xr, yr = sm.fit_resample(X[mem], yf[mem])
    outs.append(xr.iloc[mem.sum():]); ys.append(yr[mem.sum():]); gs.append(np.full(len(yr)-mem.sum(), g))
Xs = pd.concat(outs, ignore_index=True); Xs[num] = Xs[num]*sd+mu
for c in cat: Xs[c] = Xs[c].replace("(missing)", np.nan)
print("smotenc", time.time()-t, Xs.shape, Xs.dtypes.value_counts().to_dict())
dec["SMOTENC"] = adult_logistic_regression(features=F).fit(Xs, np.concatenate(ys)).predict(te)
post = EqualizedOddsPostprocessor().fit(sv, yv, sensitive_features=val.sex)
print(post.rules_)
dec["EO thresholds"] = post.predict(st, sensitive_features=te.sex, rng=0)
print(tradeoff_table(y_test, dec, sensitive_features=te.sex).round(3))
rows=[]
for name, d in dec.items():
    r = GroupReport(metrics=["selection_rate","tpr","fpr"], y_true=y_test, y_pred=d, sensitive_features=te.sex).by_group
    r.index = pd.MultiIndex.from_product([[name], r.index]); rows.append(r)
print(pd.concat(rows).round(3).unstack().to_string())
pp = post.predict_proba(st, sensitive_features=te.sex)
print("share of coin flip", pd.Series((pp>0)&(pp<1)).groupby(te.sex.to_numpy()).mean())
