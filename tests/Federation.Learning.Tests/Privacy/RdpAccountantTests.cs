using Federation.Learning.Privacy;

namespace Federation.Learning.Tests.Privacy;

/// <summary>
/// Every expected number below is copied from a published test or document, named next to it with the exact
/// parameters and the RDP → (ε, δ) conversion that source used; nothing here was produced by this implementation.
/// </summary>
public class RdpAccountantTests
{
    // tensorflow_privacy/privacy/analysis/compute_dp_sgd_privacy_lib.py, compute_dp_sgd_privacy():
    // the orders its CLI and its tests use; steps = ceil(epochs · n / batch_size), q = batch_size / n.
    private static readonly double[] TfPrivacyCliOrders =
        [1.25, 1.5, 1.75, 2, 2.25, 2.5, 3, 3.5, 4, 4.5, .. Enumerable.Range(5, 59).Select(i => (double)i), 128, 256, 512];

    private static void ShouldBeWithin(double actual, double expected, double relative) =>
        actual.ShouldBe(expected, tolerance: Math.Abs(expected) * relative);

    private static PrivacySpent DpSgd(long n, int batchSize, double noiseMultiplier, double epochs, double delta, RdpConversion conversion, IReadOnlyList<double> orders)
    {
        var accountant = new RdpAccountant(orders, conversion);
        accountant.Record(noiseMultiplier, (double)batchSize / n, (int)Math.Ceiling(epochs * n / batchSize));
        return accountant.GetPrivacySpent(delta);
    }

    // ---- RDP of the sampled Gaussian mechanism -------------------------------------------------------------

    [Fact]
    public void Without_subsampling_rdp_is_the_gaussian_closed_form()
    {
        // q = 1 is the plain Gaussian mechanism: RDP(α) = α / (2σ²) exactly (Mironov 2017, Proposition 7).
        foreach (double sigma in new[] { 0.5, 1.1, 4.0, 10.0 })
        {
            foreach (double alpha in new[] { 1.1, 1.5, 2.0, 20.0, 63.0, 256.1 })
            {
                RdpAccountant.ComputeRdp(sigma, samplingRate: 1.0, alpha).ShouldBe(alpha / (2 * sigma * sigma));
            }
        }

        // TF Privacy rdp_accountant_test.py, test_compute_rdp_no_sampling: compute_rdp(q=1, σ=10, steps=1, α=20) == 0.1.
        RdpAccountant.ComputeRdp(10.0, 1.0, 1, [20.0])[0].ShouldBe(0.1);
    }

    [Fact]
    public void Without_data_nothing_is_spent_and_without_noise_everything_is()
    {
        // TF Privacy rdp_accountant_test.py, test_compute_rdp_no_data: compute_rdp(q=0, σ=10, steps=1, α=20) == 0.
        RdpAccountant.ComputeRdp(10.0, 0.0, 1, [20.0])[0].ShouldBe(0.0);
        RdpAccountant.ComputeRdp(0.0, 0.01, 20.0).ShouldBe(double.PositiveInfinity);
    }

    [Fact]
    public void Rdp_at_an_integer_order_matches_tf_privacy()
    {
        // TF Privacy rdp_accountant_test.py, test_compute_rdp_scalar: compute_rdp(q=0.1, σ=2, steps=10, α=5) ≈ 0.07737
        // (assertAlmostEqual, places=5).
        double rdp = RdpAccountant.ComputeRdp(2.0, 0.1, 10, [5.0])[0];

        rdp.ShouldBe(0.07737, tolerance: 5e-6);
    }

    [Fact]
    public void Rdp_at_integer_and_fractional_orders_matches_tf_privacy()
    {
        // TF Privacy rdp_accountant_test.py, test_compute_rdp_sequence:
        // compute_rdp(q=0.01, σ=2.5, steps=50, orders=[1.5, 2.5, 5, 50, 100, inf])
        //   = [0.00065, 0.001085, 0.00218075, 0.023846, 167.416307, inf]   (assertSequenceAlmostEqual, delta=1e-5).
        double[] orders = [1.5, 2.5, 5, 50, 100, double.PositiveInfinity];
        double[] expected = [0.00065, 0.001085, 0.00218075, 0.023846, 167.416307];

        var rdp = RdpAccountant.ComputeRdp(2.5, 0.01, 50, orders);

        for (int i = 0; i < expected.Length; i++)
        {
            rdp[i].ShouldBe(expected[i], tolerance: 1e-5);

            // Within 1% as well; the first value is printed to two significant digits, which 1% still resolves.
            ShouldBeWithin(rdp[i], expected[i], 0.01);
        }

        rdp[5].ShouldBe(double.PositiveInfinity);
    }

    [Theory]
    // The parameter sets of TF Privacy rdp_accountant_test.py, test_compute_log_a_equals_mp, that stay within double
    // range. As there, log(A_α) is checked against direct numerical integration of its definition with rtol 1e-4.
    [InlineData(1e-4, 1.0, 1.5)]
    [InlineData(1e-3, 1.0, 2.0)]
    [InlineData(1e-6, 1.0, 27.0)]
    [InlineData(0.01, 10.0, 20.0)]
    [InlineData(0.1, 100.0, 20.5)]
    public void Log_a_matches_numerical_integration_of_its_definition(double q, double sigma, double alpha)
    {
        double logA = RdpAccountant.ComputeRdp(sigma, q, alpha) * (alpha - 1);

        logA.ShouldBe(Log1P(IntegrateAMinusOne(q, sigma, alpha)), tolerance: Math.Abs(logA) * 1e-4);
    }

    [Theory]
    [InlineData(0.01, 1.1, 5.0)]
    [InlineData(0.004, 0.8, 12.0)]
    [InlineData(0.25, 2.0, 3.0)]
    public void Fractional_series_agrees_with_the_binomial_sum_next_to_an_integer_order(double q, double sigma, double order)
    {
        double atInteger = RdpAccountant.ComputeRdp(sigma, q, order);
        double justAbove = RdpAccountant.ComputeRdp(sigma, q, order + 1e-9);

        ShouldBeWithin(justAbove, atInteger, 1e-6);
    }

    [Fact]
    public void Rdp_grows_with_the_order()
    {
        var rdp = RdpAccountant.ComputeRdp(1.1, 256.0 / 60000, 1, RdpAccountant.DefaultOrders);

        for (int i = 1; i < rdp.Length; i++)
        {
            rdp[i].ShouldBeGreaterThanOrEqualTo(rdp[i - 1] * (1 - 1e-12));
        }
    }

    // ---- Conversion to (ε, δ) -----------------------------------------------------------------------------

    [Fact]
    public void Improved_conversion_matches_tf_privacy_for_constant_rdp()
    {
        // TF Privacy rdp_accountant_test.py, test_get_privacy_spent_check_target_delta: orders 2..32, rdp 1.1 at every
        // order, δ = 1e-5 ⇒ ε = 1.32783806176 at order 32. That version's get_privacy_spent used the improved
        // conversion (its test_check_composition says the old conversion's numbers are now only an upper bound).
        double[] orders = [.. Enumerable.Range(2, 31).Select(i => (double)i)];

        var spent = RdpAccountant.ConvertToEpsilon(orders, [.. orders.Select(_ => 1.1)], 1e-5, RdpConversion.Improved);

        ShouldBeWithin(spent.Epsilon, 1.32783806176, 1e-9);
        spent.OptimalOrder.ShouldBe(32);
    }

    [Fact]
    public void Improved_conversion_reproduces_the_gaussian_mechanism_calibrated_to_epsilon_one()
    {
        // TF Privacy rdp_accountant_test.py, test_get_privacy_spent_check_target_delta, second part: σ = 4.530877117
        // without subsampling, orders 0.001·i for i in 1000..99999, δ = 1e-6 ⇒ ε = 1 (assertAlmostEqual, 7 places).
        double[] orders = [.. Enumerable.Range(1001, 99_000 - 1).Select(i => 0.001 * i)];
        var rdp = RdpAccountant.ComputeRdp(4.530877117, 1.0, 1, orders);

        var spent = RdpAccountant.ConvertToEpsilon(orders, rdp, 1e-6, RdpConversion.Improved);

        spent.Epsilon.ShouldBe(1.0, tolerance: 1e-6);
    }

    [Fact]
    public void Classic_conversion_matches_tf_privacy_composition_of_two_mechanisms()
    {
        // TF Privacy rdp_accountant_test.py, test_check_composition: orders (1.25, 1.5, 1.75, 2, 2.5, 3, 4, 5, 6, 7, 8,
        // 10, 12, 14, 16, 20, 24, 28, 32, 64, 256); compute_rdp(q=1e-4, σ=0.4, steps=40000) +
        // compute_rdp(q=0.1, σ=2, steps=100); δ = 1e-5 ⇒ "old RDP -> approx DP conversion": ε = 8.509656 at order 2.5,
        // and the improved conversion must not exceed it.
        double[] orders = [1.25, 1.5, 1.75, 2, 2.5, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 20, 24, 28, 32, 64, 256];
        var classic = new RdpAccountant(orders, RdpConversion.Classic);
        var improved = new RdpAccountant(orders, RdpConversion.Improved);
        foreach (var accountant in new[] { classic, improved })
        {
            accountant.Record(noiseMultiplier: 0.4, samplingRate: 1e-4, steps: 40_000);
            accountant.Record(noiseMultiplier: 2.0, samplingRate: 0.1, steps: 100);
        }

        var spent = classic.GetPrivacySpent(1e-5);

        ShouldBeWithin(spent.Epsilon, 8.509656, 1e-6);
        spent.OptimalOrder.ShouldBe(2.5);
        improved.Epsilon(1e-5).ShouldBeLessThanOrEqualTo(8.509656);
    }

    // ---- End-to-end DP-SGD numbers ------------------------------------------------------------------------

    [Theory]
    // TF Privacy compute_dp_sgd_privacy_test.py, test_compute_dp_sgd_privacy, current version (RDP through
    // dp_accounting.RdpAccountant.get_epsilon_and_optimal_order: the improved conversion):
    //   ('Test0', 60000, 150, 1.3, 15, 1e-5, 0.7242234026109595, 19.0)
    //   ('Test1', 100000, 100, 1.0, 30, 1e-7, 1.4154988495444845, 13.0)
    //   ('Test2', 100000000, 1024, 0.1, 10, 1e-7, 5907982.31138195, 1.25)
    [InlineData(60000, 150, 1.3, 15, 1e-5, 0.7242234026109595, 19.0)]
    [InlineData(100000, 100, 1.0, 30, 1e-7, 1.4154988495444845, 13.0)]
    [InlineData(100000000, 1024, 0.1, 10, 1e-7, 5907982.31138195, 1.25)]
    public void Dp_sgd_epsilon_matches_tf_privacy_with_the_improved_conversion(
        long n, int batchSize, double noiseMultiplier, double epochs, double delta, double expectedEpsilon, double expectedOrder)
    {
        var spent = DpSgd(n, batchSize, noiseMultiplier, epochs, delta, RdpConversion.Improved, TfPrivacyCliOrders);

        ShouldBeWithin(spent.Epsilon, expectedEpsilon, 1e-6);
        spent.OptimalOrder.ShouldBe(expectedOrder);
    }

    [Theory]
    // The same test before TF Privacy switched conversions (Mironov 2017, Proposition 3 — the classic one):
    //   ('Test0', 60000, 150, 1.3, 15, 1e-5, 0.941870567, 19.0)
    //   ('Test1', 100000, 100, 1.0, 30, 1e-7, 1.70928734, 13.0)
    //   ('Test2', 100000000, 1024, 0.1, 10, 1e-7, 5907984.81339406, 1.25)
    [InlineData(60000, 150, 1.3, 15, 1e-5, 0.941870567, 19.0)]
    [InlineData(100000, 100, 1.0, 30, 1e-7, 1.70928734, 13.0)]
    [InlineData(100000000, 1024, 0.1, 10, 1e-7, 5907984.81339406, 1.25)]
    public void Dp_sgd_epsilon_matches_tf_privacy_with_the_classic_conversion(
        long n, int batchSize, double noiseMultiplier, double epochs, double delta, double expectedEpsilon, double expectedOrder)
    {
        var spent = DpSgd(n, batchSize, noiseMultiplier, epochs, delta, RdpConversion.Classic, TfPrivacyCliOrders);

        ShouldBeWithin(spent.Epsilon, expectedEpsilon, 1e-6);
        spent.OptimalOrder.ShouldBe(expectedOrder);
    }

    [Fact]
    public void Mnist_tutorial_default_gives_epsilon_3_01_with_the_classic_conversion()
    {
        // TF Privacy tutorials/README.md (2019–2020): "compute_dp_sgd_privacy.py --N=60000 --batch_size=256
        // --noise_multiplier=1.1 --epochs=60 --delta=1e-5 ... satisfies differential privacy with eps = 3.01".
        // The CLI then used the classic conversion and the orders above. Checked: 3.009 here (within 0.03%). With
        // the improved conversion the same run is about 2.60 — the README number is the classic one.
        var classic = DpSgd(60000, 256, 1.1, 60, 1e-5, RdpConversion.Classic, TfPrivacyCliOrders);
        var improved = DpSgd(60000, 256, 1.1, 60, 1e-5, RdpConversion.Improved, TfPrivacyCliOrders);

        ShouldBeWithin(classic.Epsilon, 3.01, 0.01);
        improved.Epsilon.ShouldBeLessThan(classic.Epsilon);
    }

    [Theory]
    // TF Privacy tutorials/README.md (same version), "Select Parameters" table for mnist_dpsgd_tutorial.py (batch 256
    // of 60000, δ = 1e-5; that script's compute_epsilon used orders [1 + x/10 for x in 1..99] + [12..63], i.e. the
    // default orders here, steps = epochs · 60000 // 256, and the classic get_privacy_spent of the time):
    //   noise 1.3, 15 epochs ⇒ 1.19;  noise 1.1, 60 epochs ⇒ 3.01;  noise 0.7, 45 epochs ⇒ 7.10.
    [InlineData(1.3, 15, 1.19)]
    [InlineData(1.1, 60, 3.01)]
    [InlineData(0.7, 45, 7.10)]
    public void Mnist_tutorial_table_matches_with_the_classic_conversion(double noiseMultiplier, int epochs, double expectedEpsilon)
    {
        double epsilon = RdpAccountant.ComputeEpsilon(
            noiseMultiplier, 256.0 / 60000, epochs * 60000 / 256, 1e-5, RdpConversion.Classic);

        ShouldBeWithin(epsilon, expectedEpsilon, 0.01);
    }

    [Fact]
    public void Accumulating_accountant_matches_opacus()
    {
        // Opacus opacus/tests/accountants_test.py, test_rdp_accountant: RDPAccountant (default alphas
        // [1 + x / 10.0 for x in range(1, 100)] + list(range(12, 64))) stepped int(90 / 0.04) = 2250 times with
        // noise_multiplier=1.5, sample_rate=0.04; get_epsilon(delta=1e-5) == 7.32911117143. Opacus'
        // get_privacy_spent uses the improved conversion (Balle et al. 2020, Theorem 21).
        var accountant = new RdpAccountant();
        for (int step = 0; step < 2250; step++)
        {
            accountant.Record(noiseMultiplier: 1.5, samplingRate: 0.04, steps: 1);
        }

        ShouldBeWithin(accountant.Epsilon(1e-5), 7.32911117143, 1e-9);
        ShouldBeWithin(RdpAccountant.ComputeEpsilon(1.5, 0.04, 2250, 1e-5), 7.32911117143, 1e-9);
    }

    [Fact]
    public void Heterogeneous_composition_matches_the_opacus_docstring_example()
    {
        // Opacus opacus/accountants/analysis/rdp.py module docstring: parameters [(q=1e-5, σ=1.0, steps=10),
        // (q=1e-4, σ=3.0, steps=4)], orders range(2, 33), delta=1e-5 ⇒ (epsilon, opt_order) printed as (0.336, 23)
        // with its improved get_privacy_spent.
        var accountant = new RdpAccountant(Enumerable.Range(2, 31).Select(i => (double)i));
        accountant.Record(noiseMultiplier: 1.0, samplingRate: 1e-5, steps: 10);
        accountant.Record(noiseMultiplier: 3.0, samplingRate: 1e-4, steps: 4);

        var spent = accountant.GetPrivacySpent(1e-5);

        ShouldBeWithin(spent.Epsilon, 0.336, 0.01);
        spent.OptimalOrder.ShouldBe(23);
    }

    // ---- Accountant behaviour -----------------------------------------------------------------------------

    [Fact]
    public void Recording_steps_separately_equals_recording_them_at_once()
    {
        var once = new RdpAccountant();
        once.Record(1.1, 0.01, 300);
        var apart = new RdpAccountant();
        apart.Record(1.1, 0.01, 100);
        apart.Record(1.1, 0.01, 200);

        ShouldBeWithin(apart.Epsilon(1e-5), once.Epsilon(1e-5), 1e-12);
    }

    [Fact]
    public void Empty_accountant_has_spent_nothing()
    {
        new RdpAccountant().Epsilon(1e-5).ShouldBe(0);
    }

    [Fact]
    public void Default_orders_are_opacus_defaults()
    {
        var orders = RdpAccountant.DefaultOrders;

        orders.Count.ShouldBe(99 + 52);
        orders[0].ShouldBe(1.1);
        orders[98].ShouldBe(10.9);
        orders[99].ShouldBe(12);
        orders[^1].ShouldBe(63);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    [InlineData(-1e-5)]
    public void Delta_must_be_in_the_open_unit_interval(double delta)
    {
        Should.Throw<ArgumentOutOfRangeException>(() => new RdpAccountant().Epsilon(delta));
    }

    [Fact]
    public void Orders_must_exceed_one_and_rates_must_be_probabilities()
    {
        Should.Throw<ArgumentOutOfRangeException>(() => new RdpAccountant([1.0, 2.0]));
        Should.Throw<ArgumentOutOfRangeException>(() => RdpAccountant.ComputeRdp(1.0, 1.5, 2.0));
        Should.Throw<ArgumentOutOfRangeException>(() => RdpAccountant.ComputeRdp(-1.0, 0.5, 2.0));
    }

    // ---- Helpers: an independent evaluation of A_α --------------------------------------------------------

    /// <summary>
    /// A_α − 1 = ∫ μ0(z) · [((1 − q) + q·exp((2z − 1)/(2σ²)))^α − 1] dz with μ0 = N(0, σ²) (Mironov, Talwar, Zhang 2019,
    /// Section 3.3), by the trapezoid rule, which converges spectrally for smooth integrands decaying like Gaussians.
    /// Integrating A − 1 instead of A keeps the tiny values of log A meaningful.
    /// </summary>
    private static double IntegrateAMinusOne(double q, double sigma, double alpha)
    {
        // The i-th binomial term of A_α is a Gaussian centred at z = i, so the mass lies in [−40σ, α + 40σ].
        double low = -40 * sigma;
        double high = alpha + (40 * sigma);
        double h = sigma / 400;
        int count = (int)Math.Ceiling((high - low) / h);
        h = (high - low) / count;

        double sum = 0;
        for (int k = 0; k <= count; k++)
        {
            double z = low + (k * h);
            double logMu0 = (-(z * z) / (2 * sigma * sigma)) - Math.Log(sigma * Math.Sqrt(2 * Math.PI));
            double inner = alpha * Log1P(q * ExpM1(((2 * z) - 1) / (2 * sigma * sigma)));
            double value = inner > 30 ? Math.Exp(logMu0 + inner) : Math.Exp(logMu0) * ExpM1(inner);
            sum += (k == 0 || k == count ? 0.5 : 1.0) * value;
        }

        return sum * h;
    }

    private static double Log1P(double x)
    {
        double u = 1 + x;
        return u == 1 ? x : Math.Log(u) * x / (u - 1);
    }

    private static double ExpM1(double x)
    {
        double u = Math.Exp(x);
        if (u == 1)
        {
            return x;
        }

        return u - 1 == -1 ? -1 : double.IsPositiveInfinity(u) ? u : (u - 1) * x / Math.Log(u);
    }
}
