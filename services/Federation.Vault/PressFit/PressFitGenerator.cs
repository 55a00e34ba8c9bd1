using System.Globalization;
using System.Text;

namespace Federation.Vault.PressFit;

/// <summary>What a generated press-fit is: good, or one of three faults.</summary>
public enum PressFitFault
{
    /// <summary>A good joint: interference within the fit's tolerance.</summary>
    None,

    /// <summary>Insufficient interference (undersize pin or oversize bore): the force stays too low.</summary>
    LowInterference,

    /// <summary>Oversize pin with galling: too high, rising friction with a sawtooth of stick-slip.</summary>
    Galling,

    /// <summary>Missing chamfer or a tilted pin: the pin shaves the bore's edge, an early force spike.</summary>
    EntrySpike,
}

/// <summary>One generated press-fit: samples of time, ram position and force, and whether it is good.</summary>
/// <param name="Fault">The fault, or <see cref="PressFitFault.None"/>.</param>
/// <param name="TimeSeconds">Sample times from 0, at <see cref="PressFitGenerator.SampleRateHz"/>.</param>
/// <param name="PositionMm">Ram position (pin travel) in millimetres.</param>
/// <param name="ForceNewtons">Measured press force in newtons.</param>
public sealed record PressFitCurve(PressFitFault Fault, double[] TimeSeconds, double[] PositionMm, double[] ForceNewtons)
{
    /// <summary>The vault label: <c>good</c> or <c>faulty</c>.</summary>
    public string Label => Fault == PressFitFault.None ? PressFitGenerator.GoodLabel : PressFitGenerator.FaultyLabel;

    /// <summary>The curve as a force CSV the vault accepts: <c># sample_rate_hz=1000</c>, <c>t_s,position_mm,force_n</c>, one row a sample.</summary>
    /// <returns>UTF-8 bytes.</returns>
    public byte[] ToCsv()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"# sample_rate_hz={PressFitGenerator.SampleRateHz}\n");
        text.Append("t_s,position_mm,").Append(PressFitGenerator.ForceColumn).Append('\n');
        for (int i = 0; i < TimeSeconds.Length; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"{TimeSeconds[i]:F4},{PositionMm[i]:F4},{ForceNewtons[i]:F1}\n");
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }
}

/// <summary>
/// Synthetic force–displacement curves of a steel pin pressed into a steel hub by a servo press, good and faulty, from
/// a fixed seed. The physics and the magnitudes are written down in docs/PRESS_FIT.md; in short: a 10 mm pin, a hub
/// of 25 mm outer diameter and 12 mm length, contact pressure from the diametral interference δ by Lamé's thick-cylinder
/// solution p = E·δ·(D² − d²) / (2·d·D²), a 0.5 mm × 15° chamfer lead-in, friction F = μ·p·π·d·ℓ growing with the
/// engaged length ℓ, stick-slip (AR(1) fluctuation of μ), load-cell noise, and a shoulder stop that ends the stroke.
/// </summary>
public static class PressFitGenerator
{
    /// <summary>The label of a good curve.</summary>
    public const string GoodLabel = "good";

    /// <summary>The label of a faulty curve.</summary>
    public const string FaultyLabel = "faulty";

    /// <summary>The force column's name in the CSV.</summary>
    public const string ForceColumn = "force_n";

    /// <summary>Samples per second (a servo press's load-cell channel).</summary>
    public const int SampleRateHz = 1000;

    private const double YoungsModulusMPa = 210_000;   // steel
    private const double PinDiameterMm = 10;
    private const double HubOuterDiameterMm = 25;
    private const double HubLengthMm = 12;
    private const double ChamferLengthMm = 0.5;
    private const double ChamferAngleDegrees = 15;
    private const double ApproachMm = 1.0;             // free travel before the pin touches the bore
    private const double PressSpeedMmPerSecond = 10;
    private const double ShoulderStiffnessNPerMm = 50_000;
    private const double ShoulderStopRiseN = 3_000;     // the press stops this far above the force at shoulder contact
    private const double PressLimitN = 25_000;          // the press's force limit
    private const double SensorNoiseN = 15;            // load cell: 0.075 % of a 20 kN range
    private const double StickSlipRelative = 0.02;      // σ of μ's fluctuation, relative

    /// <summary>Generates <paramref name="count"/> curves; the same arguments give the same curves.</summary>
    /// <param name="count">How many.</param>
    /// <param name="seed">The seed.</param>
    /// <param name="faultyShare">The expected share of faulty parts, in [0, 1]; faults are drawn evenly among the three kinds.</param>
    /// <returns>The curves, in order.</returns>
    public static IReadOnlyList<PressFitCurve> Generate(int count, int seed, double faultyShare)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (!(faultyShare >= 0 && faultyShare <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(faultyShare), faultyShare, "the faulty share must be between 0 and 1");
        }

        var random = new Random(seed);
        var curves = new List<PressFitCurve>(count);
        for (int i = 0; i < count; i++)
        {
            var fault = random.NextDouble() < faultyShare ? (PressFitFault)(1 + random.Next(3)) : PressFitFault.None;
            curves.Add(Curve(fault, random));
        }

        return curves;
    }

    /// <summary>One curve with <paramref name="fault"/>, drawing its part-to-part variation from <paramref name="random"/>.</summary>
    /// <param name="fault">The fault to simulate.</param>
    /// <param name="random">The source of variation.</param>
    /// <returns>The curve.</returns>
    public static PressFitCurve Curve(PressFitFault fault, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);

        // Part-to-part variation of a good joint: H7/s6 on 10 mm gives 8–32 µm diametral interference; lubricated steel μ 0.10–0.14.
        double interferenceMm = Uniform(random, 0.008, 0.032);
        double friction = Uniform(random, 0.10, 0.14);
        double chamferMm = ChamferLengthMm;
        double hubLengthMm = HubLengthMm + Uniform(random, -0.05, 0.05);
        double gallingGrowth = 0, sawAmplitude = 0, sawPeriodMm = 1, spikeN = 0, spikeAtMm = 0;
        switch (fault)
        {
            case PressFitFault.LowInterference:
                interferenceMm = Uniform(random, 0.002, 0.007);
                break;
            case PressFitFault.Galling:
                interferenceMm = Uniform(random, 0.025, 0.045);
                gallingGrowth = Uniform(random, 0.3, 0.8);
                sawAmplitude = Uniform(random, 0.08, 0.2);
                sawPeriodMm = Uniform(random, 0.3, 0.8);
                break;
            case PressFitFault.EntrySpike:
                chamferMm = 0.05;
                spikeN = Uniform(random, 1_500, 4_000);
                spikeAtMm = Uniform(random, 0.1, 0.4);
                break;
        }

        double d = PinDiameterMm, outer = HubOuterDiameterMm;
        double pressureMPa = YoungsModulusMPa * interferenceMm * ((outer * outer) - (d * d)) / (2 * d * outer * outer);
        double perimeterPressure = pressureMPa * Math.PI * d; // N per mm of engaged length per unit μ
        double wedge = Math.Tan(ChamferAngleDegrees * Math.PI / 180);
        double step = PressSpeedMmPerSecond / SampleRateHz;

        var time = new List<double>();
        var position = new List<double>();
        var force = new List<double>();
        double stickSlip = 0, atShoulder = double.NaN;
        for (int i = 0; ; i++)
        {
            double x = i * step;
            double engaged = x - ApproachMm;
            double value = 0;
            if (engaged > 0)
            {
                // Stick-slip: μ wanders as an AR(1) process with stationary σ = StickSlipRelative.
                stickSlip = (0.95 * stickSlip) + (StickSlipRelative * Math.Sqrt(1 - (0.95 * 0.95)) * Normal(random));
                double length = Math.Clamp(engaged - chamferMm, 0, hubLengthMm - chamferMm);
                double mu = friction * (1 + stickSlip) * (1 + (gallingGrowth * length / hubLengthMm))
                    * (1 + (sawAmplitude * (Fraction(length / sawPeriodMm) - 0.5)));
                double lead = perimeterPressure * chamferMm * (wedge + mu) * Math.Pow(Math.Min(1, engaged / chamferMm), 2);
                value = (mu * perimeterPressure * length) + lead;
                if (spikeN > 0)
                {
                    value += spikeN * Math.Exp(-Math.Pow((engaged - spikeAtMm) / 0.1, 2));
                }

                if (engaged >= hubLengthMm)
                {
                    atShoulder = double.IsNaN(atShoulder) ? value : atShoulder;
                    value += ShoulderStiffnessNPerMm * (engaged - hubLengthMm);
                }
            }

            time.Add((double)i / SampleRateHz);
            position.Add(x);
            force.Add(value + (SensorNoiseN * Normal(random)));
            if (value >= PressLimitN || (!double.IsNaN(atShoulder) && value >= atShoulder + ShoulderStopRiseN))
            {
                break;
            }
        }

        return new PressFitCurve(fault, [.. time], [.. position], [.. force]);
    }

    private static double Uniform(Random random, double low, double high) => low + ((high - low) * random.NextDouble());

    private static double Fraction(double value) => value - Math.Floor(value);

    /// <summary>A standard normal draw (Box–Muller).</summary>
    private static double Normal(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
