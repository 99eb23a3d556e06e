using System.Net;
using System.Text.Encodings.Web;
using System.Text.Json;
using Fluid;

namespace IntegrationHub.Adapters.Notifications;

public sealed class HttpSmsOptions
{
    public required string Account { get; init; }

    /// <summary>The request URL, a Liquid template over <c>to</c> (E.164), <c>to_national</c> (digits without +), <c>text</c>, <c>reference</c>, <c>sender</c>.</summary>
    public required string UrlTemplate { get; init; }

    public string Method { get; init; } = "POST";

    /// <summary>The body, the same kind of template; none for a GET-style gateway.</summary>
    public string? BodyTemplate { get; init; }

    public string ContentType { get; init; } = "application/x-www-form-urlencoded";

    /// <summary>Headers sent as given (e.g. an API key; from the environment, never the repository).</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    public string? Sender { get; init; }

    /// <summary>Where the gateway's message id is in its JSON answer (<c>data.id</c>); none: the hub's reference stands for it.</summary>
    public string? MessageIdPath { get; init; }

    /// <summary>The answer counts as taken only if its body contains this (e.g. <c>"status":"OK"</c>), for gateways that answer 200 to everything.</summary>
    public string? SuccessMarker { get; init; }
}

/// <summary>
/// A local aggregator's HTTP SMS API, described by settings instead of code (Pakistan's and India's aggregators each have
/// their own): URL and body are Liquid templates whose values are encoded for where they go (<c>url_encode</c> in a
/// query, <c>json</c> in JSON). Such gateways rarely call back: a message ends <see cref="DeliveryState.Sent"/>.
/// </summary>
public sealed class HttpSmsGateway : INotificationProvider
{
    public const string Name = "http-sms";
    static readonly FluidParser Parser = new();
    readonly HttpSmsOptions _options;
    readonly HttpClient _http;
    readonly IFluidTemplate _url;
    readonly IFluidTemplate? _body;

    public HttpSmsGateway(HttpSmsOptions options, HttpClient http)
    {
        _options = options;
        _http = http;
        _url = Parser.TryParse(options.UrlTemplate, out var url, out var urlError) ? url : throw new ArgumentException($"UrlTemplate: {urlError}");
        _body = options.BodyTemplate is null ? null
            : Parser.TryParse(options.BodyTemplate, out var body, out var bodyError) ? body : throw new ArgumentException($"BodyTemplate: {bodyError}");
    }

    public string Provider => Name;

    public string Account => _options.Account;

    public Channel Channel => Channel.Sms;

    public bool SendsReceipts => false;

    public async Task<ProviderAccepted> Send(OutboundMessage message, CancellationToken cancellationToken = default)
    {
        var context = new TemplateContext(new TemplateOptionsBuilder().WithMaxSteps(1000).WithMaxOutputSize(64 * 1024).Build());
        context.SetValue("to", message.To);
        context.SetValue("to_national", message.To.TrimStart('+'));
        context.SetValue("text", message.Body);
        context.SetValue("reference", message.Reference);
        context.SetValue("sender", _options.Sender ?? "");
        if (!Uri.TryCreate(_url.Render(context, NullEncoder.Default), UriKind.Absolute, out var url))
            throw new ExternalSystemException(Name, ExternalFailure.Invalid, "UrlTemplate does not make an absolute URL");
        using var request = new HttpRequestMessage(new HttpMethod(_options.Method), url);
        if (_body is not null)
            request.Content = new StringContent(_body.Render(context, NullEncoder.Default), System.Text.Encoding.UTF8, _options.ContentType);
        foreach (var (name, value) in _options.Headers) request.Headers.TryAddWithoutValidation(name, value);
        var (status, body, _) = await ProviderHttp.Send(_http, request, Name, cancellationToken);
        var text = System.Text.Encoding.UTF8.GetString(body);
        if ((int)status is < 200 or >= 300 || (_options.SuccessMarker is { } marker && !text.Contains(marker, StringComparison.Ordinal)))
            throw (int)status is >= 200 and < 300
                ? new ExternalSystemException(Name, ExternalFailure.Invalid, "the gateway's answer does not say it took the message")
                : ProviderHttp.Refused(Name, status, null);
        var id = _options.MessageIdPath is { } path && ProviderHttp.Json(body) is { } json ? Find(json, path) : null;
        return new ProviderAccepted(id ?? message.Reference, DeliveryState.Sent);
    }

    static string? Find(JsonElement json, string path)
    {
        foreach (var part in path.Split('.'))
        {
            if (json.ValueKind != JsonValueKind.Object || !json.TryGetProperty(part, out json)) return null;
        }
        return json.ValueKind is JsonValueKind.String ? json.GetString() : json.ValueKind is JsonValueKind.Number ? json.GetRawText() : null;
    }

    public ReceiptVerification Verify(ProviderCallback callback) => new ReceiptVerification.Refused(404, "this HTTP SMS gateway sends no receipts");
}
