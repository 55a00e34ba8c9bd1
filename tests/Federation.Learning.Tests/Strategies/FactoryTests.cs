using Federation.Learning.Strategies;

namespace Federation.Learning.Tests.Strategies;

public class FactoryTests
{
    [Fact]
    public void Every_listed_name_creates_a_strategy_of_that_name()
    {
        foreach (string name in AggregationStrategies.Names)
        {
            var parameters = name == "fedprox" ? new Dictionary<string, double> { ["proximal_mu"] = 0.01 } : null;

            AggregationStrategies.Create(name, parameters).Name.ShouldBe(name);
        }

        AggregationStrategies.Names.ShouldBe(
            ["bulyan", "fedadagrad", "fedadam", "fedavg", "fedavgm", "fedmedian", "fedprox", "fedyogi", "krum", "multi-krum", "trimmed-mean"]);
    }

    [Theory]
    [InlineData("fedavgm", "server_learning_rate=1;server_momentum=0.9")]
    [InlineData("fedadam", "beta_1=0.9;beta_2=0.99;bias_correction=1;eta=0.1;tau=1E-09")]
    [InlineData("fedyogi", "beta_1=0.9;beta_2=0.99;eta=0.01;tau=0.001")]
    [InlineData("fedadagrad", "beta_1=0;eta=0.1;tau=1E-09")]
    [InlineData("trimmed-mean", "beta=0.2")]
    [InlineData("krum", "f=0")]
    [InlineData("multi-krum", "f=0;m=0")]
    [InlineData("bulyan", "f=0")]
    [InlineData("fedavg", "")]
    [InlineData("fedmedian", "")]
    public void Parameters_list_the_effective_defaults_in_ordinal_order(string name, string expected)
    {
        var parameters = AggregationStrategies.Create(name, null).Parameters;

        string.Join(";", parameters.Select(p => $"{p.Key}={p.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)}"))
            .ShouldBe(expected);
    }

    [Fact]
    public void Given_parameters_override_the_defaults()
    {
        var strategy = (FedAdam)AggregationStrategies.Create("fedadam", new Dictionary<string, double> { ["eta"] = 0.3, ["bias_correction"] = 0 });

        strategy.Eta.ShouldBe(0.3);
        strategy.BiasCorrection.ShouldBeFalse();
        strategy.Beta1.ShouldBe(0.9);
        ((TrimmedMean)AggregationStrategies.Create("trimmed-mean", new Dictionary<string, double> { ["k"] = 2 })).TrimCount.ShouldBe(2);
        AggregationStrategies.Create("trimmed-mean", new Dictionary<string, double> { ["k"] = 2 }).ConfigureRound().MinimumUpdates.ShouldBe(5);
        AggregationStrategies.Create("multi-krum", new Dictionary<string, double> { ["f"] = 1, ["m"] = 9 }).ConfigureRound().MinimumUpdates.ShouldBe(9);
    }

    [Fact]
    public void An_unknown_name_is_refused_with_the_known_names()
    {
        var error = Should.Throw<ArgumentException>(() => AggregationStrategies.Create("fedsgd", null));

        error.Message.ShouldStartWith(
            "unknown aggregation strategy 'fedsgd'; known strategies are bulyan, fedadagrad, fedadam, fedavg, fedavgm, fedmedian, fedprox, fedyogi, krum, multi-krum, trimmed-mean");
    }

    [Fact]
    public void An_unknown_parameter_is_refused_with_the_accepted_ones()
    {
        var error = Should.Throw<ArgumentException>(
            () => AggregationStrategies.Create("fedavgm", new Dictionary<string, double> { ["momentum"] = 0.9 }));

        error.Message.ShouldStartWith("strategy 'fedavgm' has no parameter 'momentum'; it accepts 'server_learning_rate', 'server_momentum'");
        Should.Throw<ArgumentException>(() => AggregationStrategies.Create("fedavg", new Dictionary<string, double> { ["eta"] = 1 }))
            .Message.ShouldStartWith("strategy 'fedavg' has no parameter 'eta'; it takes no parameters");
    }

    [Theory]
    [InlineData("krum", "f", 1.5, "parameter 'f' of strategy 'krum' must be a whole number, but it is 1.5")]
    [InlineData("krum", "f", -1, "parameter 'f' must be zero or positive, but it is -1")]
    [InlineData("fedadam", "beta_1", 1, "parameter 'beta_1' must be in [0, 1), but it is 1")]
    [InlineData("fedadam", "eta", 0, "parameter 'eta' must be positive and finite, but it is 0")]
    [InlineData("fedadam", "bias_correction", 2, "parameter 'bias_correction' must be 0 or 1, but it is 2")]
    [InlineData("fedyogi", "tau", double.NaN, "parameter 'tau' of strategy 'fedyogi' must be finite, but it is NaN")]
    [InlineData("trimmed-mean", "beta", 0.5, "parameter 'beta' must be in [0, 0.5), but it is 0.5")]
    [InlineData("fedavgm", "server_momentum", -0.1, "parameter 'server_momentum' must be in [0, 1), but it is -0.1")]
    public void Out_of_range_parameters_are_refused(string name, string parameter, double value, string message)
    {
        var error = Should.Throw<ArgumentException>(
            () => AggregationStrategies.Create(name, new Dictionary<string, double> { [parameter] = value }));

        error.Message.ShouldStartWith(message);
    }

    [Fact]
    public void Trimmed_mean_takes_beta_or_k_but_not_both_and_FedProx_needs_mu()
    {
        Should.Throw<ArgumentException>(
            () => AggregationStrategies.Create("trimmed-mean", new Dictionary<string, double> { ["beta"] = 0.1, ["k"] = 1 }))
            .Message.ShouldStartWith("strategy 'trimmed-mean' takes either 'beta' or 'k', not both");
        Should.Throw<ArgumentException>(() => AggregationStrategies.Create("fedprox", null))
            .Message.ShouldStartWith("strategy 'fedprox' needs parameter 'proximal_mu'");
    }
}
