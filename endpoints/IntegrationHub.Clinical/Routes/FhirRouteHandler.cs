using System.Net;
using System.Net.Http.Headers;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;
using IntegrationHub.Adapters.Fhir;
using IntegrationHub.Contracts.Clinical.Commands;
using IntegrationHub.Contracts.Clinical.Events;
using Rebus.Bus;
using Rebus.Handlers;

namespace IntegrationHub.Clinical.Routes;

/// <summary>
/// Writes a clinical event's Bundle to the department's FHIR server as one transaction (an external call: no database
/// transaction is held while it runs). Every resource is a conditional update on its first identifier with a system (or
/// an update of its stable id), so a resend changes nothing and an A08 updates the Patient its A04 created. <b>Order:</b> the Patient
/// carries the version of the message it came from (extension <see cref="VersionExtension"/>); when the server holds a
/// newer one (or the message is not an ADT: results and appointments do not rewrite demographics), the Patient is left
/// as it is, and an ADT older than that Patient only creates what the server lacks. A Patient that changed between
/// the read and the write (HTTP 412 on its <c>If-Match</c>), or that another delivery created meanwhile (the
/// conditional create answers 200), makes the delivery read again — so a late ADT never overwrites newer data. 5xx, 408, 409, 412, 429
/// and network errors end the attempt as one to make again later, any other refusal as refused: the delivery's saga
/// (<see cref="ClinicalDeliverySaga"/>) decides what follows, and says so in the delivery's status.
/// </summary>
public sealed class FhirRouteHandler(ClinicalRoutesOptions routes, FhirAdapter fhir, IHttpClientFactory http, IBus bus, TimeProvider time,
    ILogger<FhirRouteHandler> logger) : IHandleMessages<AttemptFhirDelivery>
{
    public const string HttpClientName = "clinical-fhir-route";
    public const string VersionExtension = "https://integrationhub.gov/fhir/StructureDefinition/source-version";
    const string FhirJson = "application/fhir+json";

    public async Task Handle(AttemptFhirDelivery attempt)
    {
        var message = attempt.Delivery;
        FhirBundleDelivered delivered;
        try
        {
            delivered = await Deliver(message);
        }
        catch (Exception e)
        {
            // Every attempt answers its saga: an unexpected fault is one more attempt to make later (its type only: no data).
            var (outcome, why) = e switch
            {
                FhirDeliveryRefusedException => (DeliveryOutcome.Refused, e.Message),
                FhirServerUnavailableException => (DeliveryOutcome.Retry, e.Message),
                _ => (DeliveryOutcome.Retry, $"FHIR delivery {message.DeliveryId}: the attempt failed in the hub ({e.GetType().Name})"),
            };
            if (outcome == DeliveryOutcome.Retry && e is not FhirServerUnavailableException)
                logger.LogError(e, "FHIR delivery {DeliveryId} of {Department}, attempt {Attempt}, failed unexpectedly", message.DeliveryId,
                    message.Department, attempt.Attempt);
            else
                logger.LogInformation("FHIR delivery {DeliveryId} of {Department}, attempt {Attempt}: {Outcome}: {Why}", message.DeliveryId,
                    message.Department, attempt.Attempt, outcome, why);
            await bus.SendLocal(new DeliveryAttempted(attempt.Key, attempt.Attempt, outcome, why));
            return;
        }
        await bus.SendLocal(new DeliveryAttempted(attempt.Key, attempt.Attempt, DeliveryOutcome.Delivered,
            $"{delivered.Resources} resources written" + (delivered.PatientKept ? ", the server's Patient kept" : ""), Fhir: delivered));
    }

    async Task<FhirBundleDelivered> Deliver(DeliverFhirBundle message)
    {
        var route = routes.Of(message.Department);
        if (route?.FhirServer is not { } baseUrl)
            throw new FhirDeliveryRefusedException($"FHIR delivery {message.DeliveryId}: department {message.Department} has no FHIR server (Hub:Clinical:Routes)");
        var parsed = fhir.Parse(System.Text.Encoding.UTF8.GetBytes(message.Bundle), FhirFormat.Json);
        if (parsed.Resource is not Bundle bundle)
            throw new FhirDeliveryRefusedException($"FHIR delivery {message.DeliveryId}: the command holds no FHIR Bundle");

        using var client = http.CreateClient(HttpClientName);
        client.Timeout = route.FhirTimeout;
        var patient = bundle.Entry.Select(e => e.Resource).OfType<Patient>().FirstOrDefault();
        var existing = patient is null ? null : await FindPatient(client, baseUrl, route, patient, message);
        // An ADT may update the Patient unless the server holds a newer one; other messages only create it when missing.
        var kept = existing is { } known && (!message.UpdatesPatient || known.Version > message.Version);

        // An ADT older than what the server holds creates what is missing and changes nothing that is there.
        var late = message.UpdatesPatient && existing is { } held && held.Version > message.Version;
        var transaction = Transaction(bundle, patient, existing, message.Version, kept, late);
        using var request = Request(HttpMethod.Post, baseUrl, route);
        request.Content = new ByteArrayContent(fhir.SerializeToUtf8(transaction, FhirFormat.Json));
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(FhirJson);
        using var response = await Send(client, request, message, "transaction");
        Check(response, message, "transaction");
        if (existing is null && patient is not null && await PatientWasThere(response, transaction))
            throw new FhirServerUnavailableException($"FHIR delivery {message.DeliveryId}: the Patient was created by another delivery " +
                                                     "since it was searched for: read it again and compare versions");

        logger.LogInformation("FHIR delivery {DeliveryId} of {Department} to {Server}: {Resources} resources written{Kept}", message.DeliveryId,
            message.Department, baseUrl.Host, transaction.Entry.Count, kept ? " (the server holds a newer Patient: left as it was)" : "");
        return new FhirBundleDelivered(message.DeliveryId, message.Department, message.PatientId, message.Version, transaction.Entry.Count,
            kept, time.GetUtcNow());
    }

    sealed record ServerPatient(string Id, string? VersionId, long Version);

    /// <summary>The server's Patient with the same first identifier, its version id and the source version it carries.</summary>
    async Task<ServerPatient?> FindPatient(HttpClient client, Uri baseUrl, ClinicalRoute route, Patient patient, DeliverFhirBundle message)
    {
        if (Search(patient.Identifier) is not { } query) return null;
        using var request = Request(HttpMethod.Get, new Uri(baseUrl.AbsoluteUri.TrimEnd('/') + "/Patient?" + query), route);
        using var response = await Send(client, request, message, "patient search");
        Check(response, message, "patient search");
        var found = fhir.Parse(await response.Content.ReadAsByteArrayAsync(), FhirFormat.Json).Resource as Bundle
                    ?? throw new FhirServerUnavailableException($"FHIR delivery {message.DeliveryId}: the patient search did not answer a Bundle");
        var matches = found.Entry.Select(e => e.Resource).OfType<Patient>().ToList();
        if (matches.Count > 1)
            throw new FhirDeliveryRefusedException($"FHIR delivery {message.DeliveryId}: {matches.Count} Patients on the server share the identifier; " +
                                                   "the hub cannot tell which one to update (merge them on the server, then retry the message)");
        if (matches.FirstOrDefault() is not { Id: { } id } match) return null;
        var version = match.Extension.FirstOrDefault(e => e.Url == VersionExtension)?.Value is FhirDecimal { Value: { } v } ? (long)v : long.MinValue;
        return new ServerPatient(id, match.Meta?.VersionId, version);
    }

    /// <summary>
    /// <c>identifier=system|value</c> of the first identifier with a value and a system (the one the hub's Patient id is
    /// made of), FHIR's token escapes applied (<c>\ , | $</c>); null when there is none — a value without a system would
    /// match every system's.
    /// </summary>
    static string? Search(IEnumerable<Identifier> identifiers) =>
        identifiers.FirstOrDefault(i => !string.IsNullOrEmpty(i.Value) && !string.IsNullOrEmpty(i.System)) is { } first
            ? "identifier=" + Uri.EscapeDataString($"{Token(first.System!)}|{Token(first.Value!)}")
            : null;

    static string Token(string text) =>
        text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace(",", "\\,", StringComparison.Ordinal)
            .Replace("|", "\\|", StringComparison.Ordinal).Replace("$", "\\$", StringComparison.Ordinal);

    /// <summary>
    /// A conditional create of the Patient that found one (<c>200</c>, not <c>201</c>) did nothing: another delivery
    /// created it between this one's search and its write, and which of the two is newer is still to be decided.
    /// </summary>
    async Task<bool> PatientWasThere(HttpResponseMessage response, Bundle transaction)
    {
        var index = transaction.Entry.FindIndex(e => e.Resource is Patient);
        if (index < 0) return false;
        var answer = fhir.Parse(await response.Content.ReadAsByteArrayAsync(), FhirFormat.Json).Resource as Bundle;
        return answer?.Entry.ElementAtOrDefault(index)?.Response?.Status is { } status && status.StartsWith("200", StringComparison.Ordinal);
    }

    /// <summary>The event's resources as one transaction: conditional updates, the Patient by version.</summary>
    static Bundle Transaction(Bundle bundle, Patient? patient, ServerPatient? existing, long version, bool keepServerPatient, bool late)
    {
        var transaction = new Bundle { Type = Bundle.BundleType.Transaction };
        var patientUrl = bundle.Entry.FirstOrDefault(e => ReferenceEquals(e.Resource, patient))?.FullUrl;
        foreach (var entry in bundle.Entry)
        {
            if (entry.Resource is MessageHeader or null) continue;
            var resource = entry.Resource.DeepCopy();
            if (keepServerPatient && patientUrl is not null)
                foreach (var reference in References(resource).Where(r => r.Reference == patientUrl))
                    reference.Reference = $"Patient/{existing!.Id}";
            if (ReferenceEquals(entry.Resource, patient))
            {
                if (keepServerPatient) continue;
                var written = (Patient)resource;
                written.Extension.RemoveAll(e => e.Url == VersionExtension);
                written.Extension.Add(new Extension(VersionExtension, new FhirDecimal(version)));
                if (existing is not null)
                {
                    written.Id = existing.Id;
                    transaction.Entry.Add(new Bundle.EntryComponent
                    {
                        FullUrl = entry.FullUrl,
                        Resource = written,
                        Request = new Bundle.RequestComponent
                        {
                            Method = Bundle.HTTPVerb.PUT,
                            Url = $"Patient/{existing.Id}",
                            IfMatch = existing.VersionId is { } versionId ? $"W/\"{versionId}\"" : null,
                        },
                    });
                    continue;
                }
            }
            transaction.Entry.Add(new Bundle.EntryComponent
            {
                FullUrl = entry.FullUrl,
                Resource = resource,
                Request = Write(resource, createOnly: late || ReferenceEquals(entry.Resource, patient)),
            });
        }
        return transaction;
    }

    /// <summary>Every reference anywhere in <paramref name="element"/> (contained elements included).</summary>
    static IEnumerable<ResourceReference> References(Base element)
    {
        foreach (var child in ChildrenOf(element))
        {
            if (child is ResourceReference reference) yield return reference;
            foreach (var nested in References(child)) yield return nested;
        }
    }

    static IEnumerable<Base> ChildrenOf(Base element)
    {
        foreach (var (_, value) in element.EnumerateElements())
        {
            if (value is Base one) yield return one;
            else if (value is IEnumerable<Base> many)
                foreach (var item in many) yield return item;
        }
    }

    /// <summary>
    /// How a resource is written: with an identifier, a conditional update on it (<c>PUT Type?identifier=…</c>) or, to
    /// change nothing that exists, a conditional create (<c>POST</c> with <c>ifNoneExist</c>); without one, an update of
    /// its stable id (<c>PUT Type/{id}</c>).
    /// </summary>
    static Bundle.RequestComponent Write(Resource resource, bool createOnly)
    {
        if (Search(ChildrenOf(resource).OfType<Identifier>()) is not { } query)
            return new Bundle.RequestComponent { Method = Bundle.HTTPVerb.PUT, Url = $"{resource.TypeName}/{resource.Id}" };
        return createOnly
            ? new Bundle.RequestComponent { Method = Bundle.HTTPVerb.POST, Url = resource.TypeName, IfNoneExist = query }
            : new Bundle.RequestComponent { Method = Bundle.HTTPVerb.PUT, Url = $"{resource.TypeName}?{query}" };
    }

    static HttpRequestMessage Request(HttpMethod method, Uri url, ClinicalRoute route)
    {
        var request = new HttpRequestMessage(method, url);
        request.Headers.Accept.ParseAdd(FhirJson);
        if (route.FhirBearerToken is { Length: > 0 } token) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }

    static async Task<HttpResponseMessage> Send(HttpClient client, HttpRequestMessage request, DeliverFhirBundle message, string what)
    {
        try
        {
            return await client.SendAsync(request);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            throw new FhirServerUnavailableException($"FHIR delivery {message.DeliveryId}: {what}: the server could not be reached ({e.GetType().Name})");
        }
    }

    /// <summary>2xx passes; what may pass on a later attempt is retried by the bus; the rest goes to the error queue.</summary>
    static void Check(HttpResponseMessage response, DeliverFhirBundle message, string what)
    {
        var status = (int)response.StatusCode;
        if (status is >= 200 and < 300) return;
        var why = $"FHIR delivery {message.DeliveryId}: {what} answered {status} {Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status)}".TrimEnd();
        if (status >= 500 || response.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.Conflict or HttpStatusCode.PreconditionFailed
                or HttpStatusCode.TooManyRequests)
            throw new FhirServerUnavailableException(why + (status == 412 ? " (the Patient changed on the server since it was read: read again)" : ""));
        throw new FhirDeliveryRefusedException(why);
    }
}

/// <summary>The FHIR server may accept it later: the delivery is attempted again after a delay.</summary>
public sealed class FhirServerUnavailableException(string message) : Exception(message);

/// <summary>The FHIR server (or the route) refuses it as it is: the delivery fails at once, with the reason.</summary>
public sealed class FhirDeliveryRefusedException(string message) : Exception(message);
