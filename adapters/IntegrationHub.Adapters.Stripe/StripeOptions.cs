namespace IntegrationHub.Adapters.Stripe;

/// <summary>One Stripe account (a department's own).</summary>
public sealed class StripeOptions
{
    public required string Account { get; init; }

    /// <summary>The secret API key (<c>sk_…</c>, or a restricted <c>rk_…</c> key).</summary>
    public required string SecretKey { get; init; }

    /// <summary>The publishable key (<c>pk_…</c>) the payer's page uses with the client secret.</summary>
    public required string PublishableKey { get; init; }

    /// <summary>The webhook endpoint's signing secrets (<c>whsec_…</c>): two while one is being rotated.</summary>
    public required IReadOnlyList<string> WebhookSecrets { get; init; }

    public Uri ApiBase { get; init; } = new("https://api.stripe.com");

    public TimeSpan SignatureTolerance { get; init; } = StripeSignature.DefaultTolerance;

    /// <summary>Lower-case ISO 4217 codes as Stripe writes them are accepted; stored upper-case.</summary>
    public IReadOnlyCollection<string> Currencies { get; init; } = ["USD"];

    public IEnumerable<string> Problems()
    {
        if (string.IsNullOrWhiteSpace(SecretKey)) yield return "SecretKey is missing";
        if (string.IsNullOrWhiteSpace(PublishableKey)) yield return "PublishableKey is missing";
        if (WebhookSecrets.Count == 0 || WebhookSecrets.Any(string.IsNullOrWhiteSpace)) yield return "WebhookSecrets needs at least one secret";
        if (!ApiBase.IsAbsoluteUri) yield return "ApiBase must be an absolute URL";
        if (SignatureTolerance <= TimeSpan.Zero || SignatureTolerance > TimeSpan.FromHours(1)) yield return "SignatureTolerance must be above 0 and at most 1 hour";
        foreach (var currency in Currencies)
            if (!IntegrationHub.Adapters.Payments.Currencies.TryGet(currency, out _)) yield return $"Currencies: '{currency}' is not a currency the hub knows";
    }
}
