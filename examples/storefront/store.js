// The storefront's own behaviour: gallery thumbnails and the bag counter.
document.querySelectorAll('.thumbs button').forEach(function (b) {
  b.addEventListener('click', function () { document.getElementById('main-image').src = b.dataset.src; });
});
document.getElementById('add-to-cart').addEventListener('click', function () {
  var count = document.getElementById('cart-count');
  count.textContent = String(Number(count.textContent) + 1);
  var size = document.querySelector('input[name=size]:checked');
  document.getElementById('added').textContent = 'Added size ' + (size ? size.value : 'M') + ' to your bag.';
});
