namespace Federation.Learning.Privacy;

/// <summary>How Rényi-DP guarantees at several orders become one (ε, δ) guarantee.</summary>
public enum RdpConversion
{
    /// <summary>
    /// Balle et al. 2020, "Hypothesis testing interpretations and Rényi differential privacy", Theorem 21
    /// (also Canonne, Kamath and Steinke 2020, Proposition 12):
    /// <c>ε = min over α of rdp(α) + log((α − 1)/α) − (log δ + log α)/(α − 1)</c>.
    /// What Opacus' <c>get_privacy_spent</c> and Google's <c>dp_accounting</c> compute today; always at least as tight
    /// as <see cref="Classic"/>. This is the default.
    /// </summary>
    Improved,

    /// <summary>
    /// Mironov 2017, "Rényi Differential Privacy", Proposition 3: <c>ε = min over α of rdp(α) + log(1/δ)/(α − 1)</c>.
    /// What TensorFlow Privacy computed until 2021; kept so that older published numbers can be reproduced.
    /// </summary>
    Classic,
}
