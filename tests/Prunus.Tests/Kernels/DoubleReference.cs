namespace Prunus.Tests.Kernels;

/// <summary>Double-precision references for functions .NET lacks (erf, erfc), to measure the float kernels against.</summary>
public static class DoubleReference
{
    /// <summary>erf by its Maclaurin series for |x| &lt; 3 (about 1e-13), else 1 - erfc.</summary>
    public static double Erf(double x)
    {
        if (Math.Abs(x) >= 3) return Math.Sign(x) * (1 - Erfc(Math.Abs(x)));
        double x2 = x * x, term = x, sum = x;
        for (int n = 1; n < 200; n++)
        {
            term *= -x2 / n;
            double t = term / (2 * n + 1);
            sum += t;
            if (Math.Abs(t) < 1e-17 * Math.Abs(sum)) break;
        }
        return 2 / Math.Sqrt(Math.PI) * sum;
    }

    /// <summary>erfc; for x &gt;= 3 by its continued fraction (relative accuracy in the tail), else 1 - erf.</summary>
    public static double Erfc(double x)
    {
        if (x < 3) return 1 - Erf(x);
        // erfc(x) = e^(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))), evaluated from the tail.
        double f = x;
        for (int k = 120; k >= 1; k--) f = x + k / 2.0 / f;
        return Math.Exp(-x * x) / Math.Sqrt(Math.PI) / f;
    }

    /// <summary>Phi(x) = erfc(-x/sqrt 2)/2, relative on both tails.</summary>
    public static double NormalCdf(double x)
    {
        double z = x / Math.Sqrt(2);
        return z < 0 ? 0.5 * Erfc(-z) : 1 - 0.5 * Erfc(z);
    }

    /// <summary>log(1 + e^x); below -20 by log1p's series e^x - e^2x/2, since 1 + e^x would round in double.</summary>
    public static double Softplus(double x) => x > 30 ? x + Math.Exp(-x) : x < -20 ? Math.Exp(x) - Math.Exp(2 * x) / 2 : Math.Log(1 + Math.Exp(x));

    public static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));
}
