// What a platform's settings page does to embed the portal: put the link its backend got from
// POST /v1/apps/:app_id/portal-sessions into an iframe. This example takes the link from its own fragment or a form.
(function () {
  var frame = document.getElementById('portal');
  var form = document.getElementById('link-form');
  var input = document.getElementById('portal-link');

  function open(link) {
    frame.src = link;
    frame.hidden = false;
  }

  var fromFragment = new URLSearchParams(location.hash.slice(1)).get('link');
  if (fromFragment) {
    input.value = fromFragment;
    open(fromFragment);
    history.replaceState(null, '', location.pathname);
  }
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    open(input.value);
  });
})();
