# The same CI test as examples/python, for vendors whose integration is PowerShell (for example
# built on the official PSGradient SDK): Pester 5 starts a private simulator, plays the partner
# through /sim, runs the integration's sync, and asserts on /sim/billing and /sim/qa. Each test
# makes a partner of its own (POST /sim/partners), so no test sees another's data.
#   $env:SYNTH_SIM_BIN = './synthesize-sim'; Invoke-Pester ./examples/powershell
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }

BeforeAll {
    function Get-FreePort {
        $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $listener.Start()
        try { $listener.LocalEndpoint.Port } finally { $listener.Stop() }
    }

    $port = Get-FreePort
    $bin = if ($env:SYNTH_SIM_BIN) { $env:SYNTH_SIM_BIN } else { 'synthesize-sim' }
    $script:Sim = Start-Process -FilePath $bin -PassThru -NoNewWindow -ArgumentList @(
        '--port', $port, '--db', ':memory:', '--clock', '2027-01-31T12:00:00.000Z', '--deterministic')
    $script:Base = "http://127.0.0.1:$port"
    $deadline = (Get-Date).AddSeconds(30)
    while ($true) {
        try { Invoke-RestMethod "$script:Base/sim/health" | Out-Null; break }
        catch {
            if ((Get-Date) -gt $deadline) { throw 'the simulator did not start' }
            Start-Sleep -Milliseconds 50
        }
    }

    # The partner's side, through the control API, for the partner of the running test.
    function Invoke-Sim([string]$Method, [string]$Path, $Body) {
        $params = @{ Method = $Method; Uri = "$script:Base/sim$Path"; ContentType = 'application/json' }
        if ($script:PartnerId) { $params.Headers = @{ 'X-Sim-Partner' = $script:PartnerId } }
        if ($null -ne $Body) { $params.Body = ($Body | ConvertTo-Json -Depth 10 -Compress) }
        Invoke-RestMethod @params
    }

    # The integration under test: only the vendor API and the GRADIENT-TOKEN it is given.
    function Invoke-Vendor([string]$Token, [string]$Method, [string]$Path, $Body) {
        $params = @{
            Method = $Method; Uri = "$script:Base/api/vendor-api$Path"
            Headers = @{ 'GRADIENT-TOKEN' = $Token }; ContentType = 'application/json'
        }
        if ($null -ne $Body) { $params.Body = ConvertTo-Json -InputObject $Body -Depth 10 -Compress }
        Invoke-RestMethod @params
    }

    function Connect-AndMap {
        # A fresh partner, connected, with a token generated: what the partner hands the vendor.
        $script:PartnerId = $null
        $partner = Invoke-Sim POST '/partners' @{ name = 'Pester partner' }
        $script:PartnerId = $partner.partnerId
        $script:Integration = $Integration = $partner.integrationId
        $token = $partner.gradientToken

        Invoke-Vendor $token PATCH '' @{ integrationPortalUrl = 'https://vendor.example/gradient' } | Out-Null
        $created = Invoke-Vendor $token POST '/service' @{
            name = 'Endpoint Protection'; description = 'Per protected device'
            category = 'security'; subcategory = 'endpoint detection and response (EDR)'
        }
        $serviceId = ($created.skus | Where-Object name -eq 'Endpoint Protection').id
        Invoke-Vendor $token POST '/organization/accounts' @(
            @{ id = 'acme-1'; name = 'Acme Corp'; description = '' },
            @{ id = 'cedar-1'; name = 'Cedar Ridge Law LLP'; description = '' }) | Out-Null
        Invoke-Vendor $token PATCH '/organization/status/pending' | Out-Null

        Invoke-Sim POST "/integrations/$Integration/step" @{ step = 'account_mapping' } | Out-Null
        $candidates = Invoke-Sim GET "/integrations/$Integration/mappings"
        $cedar = ($candidates.psaAccounts | Where-Object name -eq 'Cedar Ridge Law, LLP').id
        $edr = ($candidates.psaProducts | Where-Object productCode -eq 'SEC-EDR').id
        Invoke-Sim PUT "/integrations/$Integration/mappings/accounts/cedar-1" @{ psaAccountId = $cedar } | Out-Null
        Invoke-Sim POST "/integrations/$Integration/step" @{ step = 'service_mapping' } | Out-Null
        Invoke-Sim PUT "/integrations/$Integration/mappings/services/$serviceId" @{ psaProductIds = @($edr) } | Out-Null
        Invoke-Sim POST "/integrations/$Integration/step" @{ step = 'review' } | Out-Null
        Invoke-Sim POST "/integrations/$Integration/finish" | Out-Null
        @{ Token = $token; ServiceId = $serviceId }
    }
}

AfterAll {
    if ($script:Sim -and -not $script:Sim.HasExited) { Stop-Process -Id $script:Sim.Id }
}

Describe 'The integration against synthesize-sim' {
    It 'brings usage to the billing page and through the QA checklist' {
        $setup = Connect-AndMap
        foreach ($count in @(@{ accountId = 'acme-1'; unitCount = 48 }, @{ accountId = 'cedar-1'; unitCount = 31 })) {
            Invoke-Vendor $setup.Token POST "/service/$($setup.ServiceId)/count" $count | Out-Null
        }
        $billing = Invoke-Sim POST '/billing/rebuild'
        $acme = $billing.cards | Where-Object { $_.accountName -eq 'Acme Corp' -and $_.productCode -eq 'SEC-EDR' }
        $acme.vendorQuantity | Should -Be 48
        $billing.period | Should -Be '2027-01'

        $qa = Invoke-Sim GET '/qa' | Where-Object integrationId -eq $script:Integration
        $done = ($qa.steps | Where-Object done).key
        foreach ($step in 'authenticated', 'next_lit', 'accounts_mapped', 'services_mapped', 'usage_visible') {
            $done | Should -Contain $step
        }
    }

    It 'gets a 404 for an account the partner unmapped' {
        $setup = Connect-AndMap
        Invoke-Sim DELETE "/integrations/$script:Integration/mappings/accounts/cedar-1" | Out-Null
        $err = $null
        try {
            Invoke-Vendor $setup.Token POST "/service/$($setup.ServiceId)/count" @{ accountId = 'cedar-1'; unitCount = 3 }
        } catch { $err = $_ }
        $err.Exception.Response.StatusCode.value__ | Should -Be 404
        ($err.ErrorDetails.Message | ConvertFrom-Json).message | Should -Be 'No account map found with id: cedar-1'
    }
}
