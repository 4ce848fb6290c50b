/**
 * Randomized smoothing certification (Cohen, Rosenfeld and Kolter, "Certified Adversarial
 * Robustness via Randomized Smoothing", ICML 2019): the smoothed classifier
 * g(x) = argmax_c P(f(x + ε) = c), ε ~ N(0, σ²I), its Monte-Carlo CERTIFY and PREDICT, and the
 * statistics they need. No Spark here: the job in {@code gibbon.jobs} only splits the sampling into
 * chunks and merges the class counts.
 */
package gibbon.certify;
