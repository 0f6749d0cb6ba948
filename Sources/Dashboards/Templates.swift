/// The dashboards' Mustache templates and stylesheet, compiled into the binary so a copied `bursar` serves
/// and exports its dashboards with no files beside it. `{{…}}` escapes HTML; the only unescaped values are
/// `{{{chart}}}`, inline SVG written by `SVGWriter`, and `{{{table}}}`, a table written by `HTMLTable`, both of
/// which escape every value they write. Each page template starts with the `BURSAR_HTML` content type: the same
/// five characters escaped as Mustache's own HTML type, byte by byte (`HTMLEscaping`).
enum Templates {
    /// The document's head, shared by every page: `pageTitle` names the page.
    static let head = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <link rel="icon" href="data:,">
        <meta name="color-scheme" content="light dark">
        <title>{{pageTitle}} · Bursar</title>
        <style>{{{style}}}</style>
        </head>

        """

    static let layout = """
        {{% CONTENT_TYPE: BURSAR_HTML}}{{> head}}
        <body>
        <a class="skip" href="#main">Skip to content</a>
        <header class="top">
        <nav aria-label="Dashboards">
        <span class="brand">Bursar</span>
        <ul>
        {{#nav}}<li><a href="{{href}}"{{#current}} aria-current="page"{{/current}}>{{label}}</a></li>{{/nav}}
        </ul>
        {{#logout}}<form method="post" action="{{logout}}" class="logout"><button type="submit">Sign out {{principal}}</button></form>{{/logout}}
        </nav>
        </header>
        <main id="main">
        <h1>{{title}}</h1>
        <p class="subtitle">{{subtitle}}</p>
        {{#hasFilters}}<div class="filters">{{/hasFilters}}
        {{#filters}}<div class="filter"><span class="filter-label">{{label}}:</span> <ul>{{#options}}<li>{{#href}}<a href="{{href}}"{{#current}} aria-current="true"{{/current}}>{{label}}</a>{{/href}}{{^href}}<span>{{label}}</span>{{/href}}</li>{{/options}}</ul></div>{{/filters}}
        {{#hasFilters}}</div>{{/hasFilters}}
        {{#hasTiles}}<ul class="tiles">{{/hasTiles}}
        {{#tiles}}<li class="tile {{state}}"><a href="{{href}}"><span class="tile-label">{{label}}</span><span class="tile-value">{{value}}</span><span class="tile-detail">{{detail}}</span></a></li>{{/tiles}}
        {{#hasTiles}}</ul>{{/hasTiles}}
        {{#sections}}
        <section id="{{id}}" aria-labelledby="{{id}}-heading">
        <h2 id="{{id}}-heading">{{heading}}</h2>
        {{#note}}<p class="note">{{note}}</p>{{/note}}
        {{#empty}}<p class="empty">{{empty}}</p>{{/empty}}
        {{^empty}}
        {{#chart}}<figure class="figure" tabindex="0">{{{chart}}}</figure>{{/chart}}
        {{#table}}{{#open}}{{{table}}}{{/open}}{{^open}}<details><summary>The numbers behind the chart</summary>{{{table}}}</details>{{/open}}{{/table}}
        {{#dataOnly}}<p class="note">The {{rows}} rows are in this page's {{#inCSV}}<a href="{{csv}}">CSV</a> and {{/inCSV}}<a href="{{json}}">JSON</a>.</p>{{/dataOnly}}
        {{#hasPager}}<nav class="pager" aria-label="{{heading}}: pages"><ul>{{#pager}}<li>{{#href}}<a href="{{href}}"{{#current}} aria-current="page"{{/current}}>{{label}}</a>{{/href}}{{^href}}<span>{{label}}</span>{{/href}}</li>{{/pager}}</ul></nav>{{/hasPager}}
        {{/empty}}
        </section>
        {{/sections}}
        </main>
        <footer>
        <p>Data: <a href="{{csv}}">CSV</a> · <a href="{{json}}">JSON</a> · {{asOf}}</p>
        </footer>
        </body>
        </html>

        """

    static let login = """
        {{% CONTENT_TYPE: BURSAR_HTML}}{{> head}}
        <body>
        <main id="main" class="login">
        <h1>Sign in to Bursar's dashboards</h1>
        {{#message}}<p class="error" role="alert">{{message}}</p>{{/message}}
        <form method="post" action="login">
        <input type="hidden" name="next" value="{{next}}">
        <label for="token">API token</label>
        <input id="token" name="token" type="password" autocomplete="current-password" required>
        <button type="submit">Sign in</button>
        </form>
        <p class="note">Use the token you call the router's API with (an admin makes one with <code>bursar token new</code>). It is checked once; the browser then keeps a signed session cookie for 12 hours.</p>
        </main>
        </body>
        </html>

        """

    static let problem = """
        {{% CONTENT_TYPE: BURSAR_HTML}}{{> head}}
        <body>
        <main id="main">
        <h1>This view cannot be shown</h1>
        <p class="error">{{message}}</p>
        <p><a href="./">Back to the overview</a></p>
        </main>
        </body>
        </html>

        """

    /// Light and dark themes, print, and the colour-blind-safe palette (Okabe–Ito for categories and outcomes,
    /// a sequential blue-to-orange ramp for heat); outcomes also carry a symbol, so colour is never the only cue.
    /// Outcome colours as text (`--met-text`…) are shades of the marks' colours that keep 4.5:1 against the
    /// page in each theme (WCAG 1.4.3): Okabe–Ito's vermillion is 3.9:1 on white, its blue 3.5:1 on the dark page.
    static let style = """
        :root{color-scheme:light dark;--bg:#ffffff;--fg:#1b1b1b;--muted:#4d4d4d;--line:#c8c8c8;--panel:#f4f5f7;--link:#0a55a6;
        --met:#0072b2;--missed:#d55e00;--pending:#8a7a00;--none:#d0d0d0;--warn:#b35c00;--good:#00694d;
        --s0:#0072b2;--s1:#e69f00;--s2:#009e73;--s3:#cc79a7;--s4:#56b4e9;--s5:#d55e00;--s6:#7a6f00;--s7:#666666;
        --h0:#f1f1f1;--h1:#c6dbef;--h2:#6baed6;--h3:#2171b5;--h4:#e69f00;--h5:#d55e00;--symbol:#ffffff;
        --met-text:#0072b2;--missed-text:#b84f00;--pending-text:#766900}
        @media (prefers-color-scheme:dark){:root{--bg:#15171a;--fg:#e8e8e8;--muted:#b8b8b8;--line:#4a4d52;--panel:#22252a;--link:#8cc4ff;
        --none:#3a3d42;--h0:#2a2d31;--pending:#c9b400;--good:#3fcf9b;--warn:#ffb454;
        --met-text:#56b4e9;--missed-text:#ff8a4c;--pending-text:#c9b400}}
        *{box-sizing:border-box}
        body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:var(--bg);color:var(--fg)}
        a{color:var(--link)}
        .skip{position:absolute;left:-999px}.skip:focus{left:8px;top:8px;background:var(--bg);padding:4px}
        .top{background:var(--panel);border-bottom:1px solid var(--line)}
        .top nav{display:flex;align-items:center;gap:16px;padding:8px 20px;flex-wrap:wrap}
        .brand{font-weight:700}
        .top ul{list-style:none;display:flex;gap:14px;margin:0;padding:0;flex-wrap:wrap}
        .top a[aria-current]{font-weight:700;text-decoration:none;color:var(--fg)}
        .logout{margin-left:auto}
        button{font:inherit;padding:4px 10px;border:1px solid var(--line);background:var(--bg);color:var(--fg);border-radius:4px;cursor:pointer}
        main{padding:8px 20px 24px;max-width:1400px}
        h1{font-size:1.5rem;margin:12px 0 2px}
        h2{font-size:1.15rem;margin:22px 0 6px}
        .subtitle,.note{color:var(--muted);margin:2px 0 8px}
        .empty{padding:12px;border:1px dashed var(--line);color:var(--muted)}
        .filters{display:flex;flex-wrap:wrap;gap:6px 20px;margin:8px 0}
        .filter ul,.pager ul{display:inline-flex;flex-wrap:wrap;gap:6px;list-style:none;margin:0;padding:0}
        .filter a[aria-current],.pager a[aria-current]{font-weight:700;color:var(--fg)}
        .tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(210px,1fr));gap:10px;list-style:none;padding:0;margin:12px 0}
        .tile a{display:flex;flex-direction:column;padding:10px 12px;border:1px solid var(--line);border-left:6px solid var(--none);border-radius:4px;text-decoration:none;color:var(--fg);background:var(--panel);height:100%}
        .tile.good a{border-left-color:var(--good)}.tile.bad a{border-left-color:var(--missed)}.tile.warn a{border-left-color:var(--warn)}
        .tile-label{font-size:.85rem;color:var(--muted)}.tile-value{font-size:1.5rem;font-weight:700}.tile-detail{font-size:.85rem}
        .figure{margin:0;overflow-x:auto}
        svg.chart{max-width:100%;height:auto;font-size:11px}
        svg.chart text{fill:var(--fg)}
        svg.chart text.symbol{fill:var(--symbol);font-size:10px;font-weight:700;pointer-events:none;text-anchor:middle}
        svg.chart text.symbol.sym-dark{fill:#000000}
        svg.chart .axis-line{stroke:var(--muted)}svg.chart .grid-line{stroke:var(--line);stroke-dasharray:2 3}
        svg.chart .goal{stroke:var(--fg);stroke-width:1.5;stroke-dasharray:6 4}
        svg.chart .band{fill:transparent}svg.chart .band:hover{fill:var(--line);fill-opacity:.35}
        svg.chart .line{fill:none;stroke-width:1.6}
        svg.chart a:focus rect,svg.chart a:hover rect{stroke:var(--fg);stroke-width:1.5}
        .met{fill:var(--met);stroke:var(--met)}.missed{fill:var(--missed);stroke:var(--missed)}.pending{fill:var(--pending);stroke:var(--pending)}
        .none{fill:var(--none);stroke:var(--none)}
        .s0{fill:var(--s0);stroke:var(--s0)}.s1{fill:var(--s1);stroke:var(--s1)}.s2{fill:var(--s2);stroke:var(--s2)}.s3{fill:var(--s3);stroke:var(--s3)}
        .s4{fill:var(--s4);stroke:var(--s4)}.s5{fill:var(--s5);stroke:var(--s5)}.s6{fill:var(--s6);stroke:var(--s6)}.s7{fill:var(--s7);stroke:var(--s7)}
        .h0{fill:var(--h0)}.h1{fill:var(--h1)}.h2{fill:var(--h2)}.h3{fill:var(--h3)}.h4{fill:var(--h4)}.h5{fill:var(--h5)}
        .line.s0,.line.s1,.line.s2,.line.s3,.line.s4,.line.s5,.line.s6,.line.s7{fill:none}
        .line.limit{stroke-dasharray:5 3}
        .table-wrap{overflow-x:auto}
        table{border-collapse:collapse;margin:6px 0;font-size:.9rem}
        caption{text-align:left;color:var(--muted);padding:2px 0}
        th,td{border-bottom:1px solid var(--line);padding:3px 8px;text-align:left;white-space:nowrap}
        td[data-value]{text-align:right;font-variant-numeric:tabular-nums}
        td.met{color:var(--met-text);fill:none;stroke:none}td.missed{color:var(--missed-text);fill:none;stroke:none}td.pending{color:var(--pending-text);fill:none;stroke:none}
        td.warn{color:var(--warn)}
        details summary{cursor:pointer;color:var(--link)}
        footer{padding:8px 20px;border-top:1px solid var(--line);color:var(--muted)}
        .login{max-width:420px}.login form{display:flex;flex-direction:column;gap:8px}
        .login input{font:inherit;padding:6px;border:1px solid var(--muted);background:var(--bg);color:var(--fg)}
        .error{color:var(--missed-text);font-weight:600}
        @media print{.top,.skip,.logout,footer a,.pager{display:none}body{background:#fff;color:#000}details{display:block}
        details>summary{display:none}details>*{display:block}a{color:#000;text-decoration:none}main{max-width:none}}
        """
}
